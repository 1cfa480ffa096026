### Texts of the hosted web pages, English. Every message here has its twin in es/web.ftl
### (a unit test checks it). The pages escape values; messages hold plain text.

app-name = Accounts
