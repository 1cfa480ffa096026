### Textos de las páginas web alojadas, español. Cada mensaje tiene su gemelo en en/web.ftl
### (lo comprueba un test unitario). Las páginas escapan los valores; los mensajes son texto plano.

app-name = Accounts
