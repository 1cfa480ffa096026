# Las páginas alojadas (shared/src/web). Los textos del correo están en mail.ftl; ambos son un catálogo.
app-name = Accounts
skip-to-content = Saltar al contenido
nav-label = Cuenta
nav-home = Inicio
nav-sign-in = Iniciar sesión
nav-sign-up = Crear una cuenta
nav-sign-out = Cerrar sesión

page-not-found = Página no encontrada
page-forbidden = No permitido
page-error = Algo ha ido mal
refused-csrf = Este formulario ha caducado o se envió desde otro sitio. Vuelve atrás, recarga la página e inténtalo de nuevo.
refused-form-type = Este formulario se envió de una forma que esta página no acepta.
refused-too-large = Este formulario era demasiado grande.
refused-malformed = No se pudo leer este formulario. Recarga la página e inténtalo de nuevo.
form-has-errors = Corrige los campos marcados abajo.

field-username = Nombre de usuario
field-email = Dirección de correo
field-password = Contraseña
field-login = Nombre de usuario o dirección de correo
field-captcha = Los caracteres de la imagen
field-new-password = Contraseña nueva
field-current-password = Contraseña actual
field-mfa-code = Código de tu aplicación de autenticación o un código de respaldo
field-recovery-code = Código de recuperación
password-hint-classic = Al menos { $min } caracteres, con mayúsculas, minúsculas y un dígito.
password-hint-nist = Al menos { $min } caracteres. Evita las contraseñas comunes y tu nombre de usuario.
captcha-alt = Caracteres distorsionados que debes escribir en el campo de abajo

sign-up-title = Crea tu cuenta
sign-up-button = Crear la cuenta
sign-up-have-account = ¿Ya tienes una cuenta?
sign-up-done-title = Revisa tu correo
sign-up-done-text = Hemos enviado un enlace de activación a { $email }. Ábrelo para activar tu cuenta.
sign-up-done-no-mail = Tu cuenta existe, pero no se pudo enviar el correo de activación a { $email }. Inicia sesión para pedirlo de nuevo.

activate-title = Activa tu cuenta
activate-intro = Pulsa el botón para activar tu cuenta.
activate-button = Activar mi cuenta
activate-done-title = Cuenta activada
activate-done-text = Tu cuenta está activa. Ya puedes iniciar sesión.

confirm-email-title = Confirma tu nueva dirección de correo
confirm-email-intro = Pulsa el botón para que esta sea la dirección de correo de tu cuenta.
confirm-email-button = Confirmar esta dirección
confirm-email-done-title = Dirección de correo cambiada
confirm-email-done-text = Tu cuenta usa ya la nueva dirección. Inicia sesión con ella a partir de ahora.

sign-in-title = Iniciar sesión
sign-in-button = Iniciar sesión
sign-in-forgot = ¿Has olvidado tu contraseña?
sign-in-no-account = ¿Aún no tienes cuenta?
mfa-step-title = Verificación en dos pasos
mfa-step-intro = Introduce el código de 6 dígitos de tu aplicación de autenticación o uno de tus códigos de respaldo.
mfa-step-button = Verificar

forgot-title = ¿Has olvidado tu contraseña?
forgot-intro = Introduce la dirección de correo de tu cuenta y te enviaremos un enlace para elegir una contraseña nueva.
forgot-button = Enviar el enlace
forgot-done-title = Revisa tu correo
forgot-done-text = Si la dirección pertenece a una cuenta, va de camino un enlace para elegir una contraseña nueva. Funciona una vez, durante 1 hora.

reset-title = Elige una contraseña nueva
reset-button = Guardar la contraseña nueva
reset-done-title = Contraseña cambiada
reset-done-text = Tu contraseña se ha cambiado y se han cerrado todas las sesiones. Inicia sesión con la contraseña nueva.

recover-title = Recupera tu cuenta
recover-intro = Una cuenta pendiente de eliminación puede conservarse durante su periodo de gracia con el código de recuperación que recibiste.
recover-button = Recuperar mi cuenta
recover-done-title = Cuenta recuperada
recover-done-text = Tu cuenta no se eliminará. Inicia sesión para volver a usarla.

account-title = Tu cuenta

error-INVALID_CREDENTIALS = El nombre de usuario, la dirección de correo o la contraseña no son correctos.
error-INVALID_CAPTCHA = Los caracteres no coinciden con la imagen. Prueba con la nueva.
error-INVALID_TOKEN = Este enlace ya no es válido. Puede que se haya usado o que haya caducado.
error-INVALID_CODE = Ese código no es correcto.
error-CODE_EXPIRED = Ese código ha caducado.
error-INVALID_PASSWORD = La contraseña actual no es correcta.
error-EMAIL_TAKEN = Ya existe una cuenta con esta dirección de correo.
error-USERNAME_TAKEN = Este nombre de usuario ya está en uso.
error-ACCOUNT_NOT_ACTIVATED = Esta cuenta aún no está activada. Abre primero el enlace del correo de activación.
error-ACCOUNT_BANNED = Esta cuenta ha sido suspendida.
error-ACCOUNT_PENDING_DELETION = Esta cuenta está pendiente de eliminación. Puedes recuperarla con tu código de recuperación.
error-RATE_LIMITED = Demasiados intentos. Espera un rato e inténtalo de nuevo.
error-UNAUTHENTICATED = Tu sesión ha terminado. Inicia sesión de nuevo.
error-NOT_FOUND = No hay nada en esta dirección.
error-METHOD_NOT_ALLOWED = Esta página no se puede usar así.
error-FORBIDDEN = No tienes permiso para hacer esto.
error-INTERNAL = Algo ha ido mal por nuestra parte. Inténtalo de nuevo en un momento.
error-DEPENDENCY_UNAVAILABLE = El servicio está ocupado. Inténtalo de nuevo en un momento.
