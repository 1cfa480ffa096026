### Textos del correo, español (los muestra shared/src/mail.rs; las páginas web comparten este
### catálogo). Cada mensaje tiene su gemelo en en/mail.ftl (lo comprueba un test unitario). Los
### valores llegan como { $nombre } y los escapa quien los muestra, nunca aquí.

## Comunes a todos los correos

greeting = Hola { $username }:
# Un correo a una dirección sin cuenta: no hay nombre con el que saludar.
greeting-anonymous = Hola:

## Activación: un código de 6 cifras y un enlace, válidos 24 h

activation-subject = Activa tu cuenta
activation-intro = ¡Bienvenido! Introduce este código para activar tu cuenta o abre el enlace de abajo. Ambos son válidos durante 24 horas.
activation-ignore = Si no te has registrado, ignora este mensaje.
activation-link = Activar mi cuenta

## Restablecer la contraseña: un enlace de un solo uso válido 1 h

password-reset-subject = Restablece tu contraseña
password-reset-intro = Alguien ha pedido restablecer la contraseña de tu cuenta. Abre el enlace de abajo en menos de 1 hora para elegir una nueva; solo funciona una vez. Una contraseña nueva cierra todas las sesiones y revoca todas tus claves de API.
password-reset-ignore = Si no has sido tú, ignora este mensaje: tu contraseña no cambia.
password-reset-link = Elegir una contraseña nueva

## Cambio de correo: la confirmación a la dirección nueva, el aviso a la actual

email-change-confirmation-subject = Confirma tu nueva dirección de correo
email-change-confirmation-intro = Abre el enlace de abajo en menos de 1 hora para que esta sea la dirección de correo de tu cuenta; solo funciona una vez.
email-change-confirmation-ignore = Si no lo has pedido, ignora este mensaje: no cambiará nada.
email-change-confirmation-link = Confirmar esta dirección
email-change-notice-subject = Tu dirección de correo va a cambiar
email-change-notice-intro = Alguien con acceso a tu cuenta ha pedido cambiar su dirección de correo a { $new_address }. Esta dirección sigue funcionando hasta que se abra el enlace enviado allí.
email-change-notice-advice = Si no has sido tú, cambia tu contraseña de inmediato y cierra tus otras sesiones.

## Eliminación programada: la fecha de la purga y el código de recuperación

deletion-scheduled-subject = Tu cuenta se eliminará
deletion-scheduled-intro = Tu cuenta se eliminará definitivamente el { $purge_date }. Hasta entonces puedes restaurarla con este código de recuperación y tu correo (POST /api/users/recover).
deletion-scheduled-advice = Si no lo has pedido tú, restaura la cuenta de inmediato y cambia tu contraseña.

## Avisos de seguridad: un asunto y una línea por suceso, y después el consejo común

security-password-changed-subject = Tu contraseña ha cambiado
security-password-changed = Se acaba de cambiar la contraseña de tu cuenta y se han cerrado tus otras sesiones.
security-mfa-enabled-subject = La verificación en dos pasos está activada
security-mfa-enabled = Se acaba de activar la verificación en dos pasos en tu cuenta.
security-mfa-disabled-subject = La verificación en dos pasos está desactivada
security-mfa-disabled = Se acaba de desactivar la verificación en dos pasos en tu cuenta.
security-account-recovered-subject = Tu cuenta se ha restaurado
security-account-recovered = Tu cuenta se ha restaurado y no se eliminará.
security-api-key-created-subject = Se ha creado una clave de API
security-api-key-created = Se acaba de crear una clave de API nueva para tu cuenta.
security-advice = Si no has sido tú, restablece tu contraseña de inmediato y revisa tu cuenta.

## Una dirección sin cuenta pidió un enlace para restablecer la contraseña o un código de
## activación. Hoy se envían siempre en inglés (no hay cuenta cuyo idioma usar); estos textos
## están para que el catálogo sea completo en los dos idiomas.

no-account-password-reset-subject = Se ha pedido restablecer la contraseña
no-account-password-reset = Alguien ha pedido restablecer la contraseña de una cuenta con esta dirección, pero ninguna cuenta la usa.
no-account-activation-subject = Se ha pedido un código de activación
no-account-activation = Alguien ha pedido un código de activación para esta dirección, pero ninguna cuenta pendiente de activar la usa. Si ya activaste tu cuenta, simplemente inicia sesión.
no-account-ignore = Si no has sido tú, ignora este mensaje: no se ha cambiado nada.
