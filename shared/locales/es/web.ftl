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

# La consola de la cuenta (shared/src/web/account.rs).
sections-label = Secciones de la cuenta
section-overview = Resumen
section-profile = Perfil
section-preferences = Preferencias
section-settings = Ajustes
section-password = Contraseña
section-email = Dirección de correo
section-mfa = Verificación en dos pasos
section-sessions = Sesiones
section-api-keys = Claves de API
section-activity = Actividad
section-export = Exportar tus datos
section-delete = Eliminar la cuenta
save-button = Guardar
copy-button = Copiar
copied = Copiado
sign-in-password-changed = Tu contraseña se ha cambiado y se han cerrado todas las sesiones. Inicia sesión con la nueva contraseña.

account-not-activated-title = Activa primero tu cuenta
account-not-activated-next = Volver a tu cuenta
account-not-activated-text = Tu cuenta aún no está activada. Abre el enlace del correo de activación o pide uno nuevo.
account-resend-activation = Enviar de nuevo el correo de activación

done-saved = Se han guardado los cambios.
done-avatar = Se ha guardado tu nueva imagen.
done-avatar-removed = Se ha quitado tu imagen.
done-activation-sent = Si tu cuenta aún necesita activarse, te hemos enviado un nuevo correo de activación.
done-session-revoked = Se ha cerrado la sesión.
done-key-revoked = Se ha revocado la clave de API. Ya no funciona.
done-mfa-off = La verificación en dos pasos está desactivada.

field-name = Nombre visible
field-bio = Sobre ti
field-location = Ubicación
field-website = Sitio web
avatar-title = Imagen de perfil
avatar-alt = Tu imagen de perfil actual
field-avatar = Nueva imagen
avatar-hint = PNG, JPEG, GIF o WebP, de 4 MB como máximo.
avatar-button = Subir la imagen
avatar-remove-button = Quitar la imagen

field-theme = Tema
theme-auto = El de mi dispositivo
theme-light = Claro
theme-dark = Oscuro
field-language = Idioma
field-timezone = Zona horaria
timezone-hint = Un nombre de zona horaria IANA, como Europe/Madrid o America/Mexico_City.

settings-notifications = Avisarme por correo de
settings-privacy = Privacidad
settings-app = Subidas
setting-notifications-email = Novedades de la cuenta por correo
setting-notifications-push = Notificaciones push
setting-notifications-uploads = Subidas terminadas
setting-notifications-sharing = Lo que comparten conmigo
setting-notifications-storage = Poco espacio de almacenamiento
setting-notifications-security = Alertas de seguridad
setting-notifications-marketing = Ofertas y novedades del producto
setting-privacy-public-profile = Mostrar mi perfil a cualquiera
setting-privacy-show-activity = Mostrar mi actividad en mi perfil
setting-privacy-allow-indexing = Permitir que los buscadores indexen mi perfil
setting-app-auto-upload = Subir automáticamente
setting-app-compression-enabled = Comprimir las subidas
setting-app-thumbnail-generation = Crear miniaturas
field-default-folder = Carpeta predeterminada

password-intro = Al cambiar la contraseña se cierran todas tus sesiones, también la de este navegador.
password-button = Cambiar la contraseña

email-current = La dirección de tu cuenta es { $email }.
email-intro = Enviaremos un enlace a la nueva dirección. La dirección actual sigue funcionando hasta que se abra el enlace.
field-new-email = Nueva dirección de correo
email-button = Enviar el enlace de confirmación
email-done = Si { $email } se puede usar, le hemos enviado un enlace de confirmación. Funciona una vez, durante 1 hora.

mfa-status-on = La verificación en dos pasos está activada.
mfa-status-off = La verificación en dos pasos está desactivada.
mfa-start-intro = Con la verificación en dos pasos, al iniciar sesión también se pide un código de una app de autenticación de tu teléfono. Escribe tu contraseña para empezar.
mfa-start-button = Configurar la verificación en dos pasos
mfa-enrol-intro = Escanea este código con tu app de autenticación y escribe el código de 6 dígitos que muestra.
mfa-qr-alt = Código QR para añadir esta cuenta a una app de autenticación
mfa-secret-intro = ¿No puedes escanearlo? Escribe esta clave:
mfa-enrol-again = Escribe el código de 6 dígitos que muestra tu app de autenticación para esta cuenta.
field-totp-code = Código de 6 dígitos de tu app de autenticación
mfa-verify-button = Activar la verificación en dos pasos
mfa-start-over = Empezar de nuevo
mfa-codes-notice = Guarda ahora estos códigos de respaldo: solo se muestran esta vez.
mfa-codes-intro = Cada código de respaldo te permite iniciar sesión una vez si pierdes el teléfono. Guárdalos en un lugar seguro.
mfa-codes-done = Ya los he guardado
mfa-manage-intro = Para obtener nuevos códigos de respaldo o desactivar la verificación en dos pasos, escribe tu contraseña y un código de tu app de autenticación (o un código de respaldo).
mfa-regenerate-button = Obtener nuevos códigos de respaldo
mfa-disable-button = Desactivar la verificación en dos pasos

sessions-intro = Estos navegadores y apps tienen una sesión abierta en tu cuenta. Cierra las que no reconozcas.
sessions-caption = Sesiones abiertas
sessions-device = Dispositivo
sessions-ip = Dirección IP
sessions-created = Inicio de sesión
sessions-last-used = Última actividad
sessions-actions = Acciones
sessions-this-one = este navegador
sessions-revoke = Cerrar sesión
sessions-revoke-label = Cerrar la sesión de { $device }

keys-intro = Las claves de API permiten que tus propios scripts usen la API en tu nombre. Una clave puede leer, o leer y cambiar, tu perfil, tus ajustes y tus subidas.
field-key-name = Nombre
field-scopes = Qué puede hacer la clave
scope-read = Leer
scope-write = Cambiar
field-expires-in = Caduca
key-expires-never = Nunca
key-expires-30d = En 30 días
key-expires-90d = En 90 días
key-expires-365d = En un año
key-create-button = Crear la clave
key-created = Tu nueva clave está debajo. Cópiala ahora: solo se muestra esta vez.
keys-list-title = Tus claves
keys-none = No tienes claves de API.
keys-caption = Claves de API
keys-prefix = Empieza por
keys-created = Creada
keys-last-used = Último uso
keys-expires = Caduca
keys-status = Estado
keys-never = Nunca
keys-revoke = Revocar
keys-revoke-label = Revocar la clave { $name }
key-status-active = Activa
key-status-revoked = Revocada
key-status-expired = Caducada

activity-intro = Lo que ha pasado en tu cuenta en los últimos 90 días, de lo más reciente a lo más antiguo.
activity-none = Todavía nada.
activity-caption = Actividad de la cuenta
activity-when = Cuándo
activity-what = Qué
activity-detail = Detalle
activity-more = Actividad anterior

export-intro = Descarga en un archivo JSON todo lo que guardamos sobre ti: tu perfil, sesiones, actividad y claves de API (nunca contraseñas ni las propias claves).
export-button = Descargar mis datos

delete-intro = Tu cuenta se eliminará tras un periodo de gracia. Hasta entonces puedes conservarla con el código de recuperación que verás a continuación. Escribe tu contraseña para confirmar.
field-reason = ¿Por qué te vas? (opcional)
delete-button = Eliminar mi cuenta
deleted-title = Cuenta programada para eliminarse
deleted-text = Tu cuenta se eliminará el { $date }. Se ha cerrado tu sesión.
deleted-code-intro = Tu código de recuperación, que solo se muestra esta vez:
deleted-how = Para conservar tu cuenta, escribe tu dirección de correo y este código antes de esa fecha en la
deleted-recover-link = página de recuperación

error-CONFLICT = Esto ha cambiado mientras tanto. Recarga la página y vuelve a intentarlo.
error-PAYLOAD_TOO_LARGE = El archivo es demasiado grande.
error-UNSUPPORTED_MEDIA_TYPE = No se acepta este tipo de archivo.

# Errores de campo: los mensajes en inglés del dominio (números como $n, $m), junto a su campo.
field-is-required = Este campo es obligatorio.
field-must-be-a-valid-email-address = Escribe una dirección de correo válida.
field-must-be-n-n-characters-of-letters-digits-and = Debe tener de { $n } a { $m } caracteres: letras, dígitos y _.
field-must-be-at-least-n-characters = Debe tener al menos { $n } caracteres.
field-must-be-at-least-n-characters-counted-after-unicode-nfkc-normalisation = Debe tener al menos { $n } caracteres.
field-must-be-at-most-n-characters = Debe tener como máximo { $n } caracteres.
field-must-contain-an-upper-case-letter = Debe contener una letra mayúscula.
field-must-contain-a-lower-case-letter = Debe contener una letra minúscula.
field-must-contain-a-digit = Debe contener un dígito.
field-must-not-contain-the-username-or-email = No debe contener el nombre de usuario ni la dirección de correo.
field-must-not-be-the-username-or-the-email-address = No debe ser el nombre de usuario ni la dirección de correo.
field-is-too-common = Es demasiado común: elige otra.
field-is-one-of-the-most-common-passwords = Es una de las contraseñas más comunes: elige otra.
field-appears-in-known-data-breaches-pwned-passwords-choose-another = Aparece en filtraciones de datos conocidas: elige otra.
field-must-be-n-digits = Debe tener { $n } dígitos.
field-must-differ-from-the-current-password = Debe ser distinta de la contraseña actual.
field-must-be-an-http-or-https-url = Debe ser una dirección http o https.
field-must-be-n-n-characters = Debe tener de { $n } a { $m } caracteres.
field-must-not-contain-control-characters = No debe contener caracteres de control.
field-must-be-an-iana-time-zone = Elige una zona horaria de la lista IANA, como Europe/Madrid.
field-must-name-at-least-one-scope = Elige al menos un permiso.
field-must-be-n-n-printable-characters = Debe tener de { $n } a { $m } caracteres imprimibles.

# The overview when mail to the account's address is suppressed (issue 20, docs/operations.md "Mail").
account-mail-suppressed-bounce = Desde el { $date } no enviamos correos a esta dirección: un mensaje a ella fue devuelto, así que parece que no acepta correo.
account-mail-suppressed-complaint = Desde el { $date } no enviamos correos a esta dirección: uno de nuestros mensajes a ella se marcó como spam.
account-mail-suppressed-help = Los enlaces de activación y de cambio de contraseña y los avisos de seguridad no te llegan. Cambia tu dirección de correo o pide a un administrador que vuelva a enviar a esta cuando funcione.
account-mail-suppressed-change = Cambiar la dirección de correo
account-mail-suppressed-help-unactivated = Por eso tampoco te llega el correo de activación: pide a un administrador que vuelva a enviar a esta dirección cuando funcione.
