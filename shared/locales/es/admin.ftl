# La consola de administración (shared/src/web/admin.rs) y lo que las demás páginas dicen de una suspensión.
error-ACCOUNT_BANNED-until = Esta cuenta está suspendida hasta el { $until }.
error-ACCOUNT_BANNED-reason = Motivo: { $reason }
error-USER_NOT_FOUND = No hay ningún usuario con este identificador.
nav-admin = Consola de administración

admin-nav-label = Secciones de la consola
admin-users = Usuarios
admin-new-user = Nuevo usuario
admin-audit = Registro de auditoría
admin-back-to-account = Tu cuenta

# La tabla de usuarios
admin-users-title = Usuarios
admin-filters = Buscar usuarios
admin-field-q = El nombre de usuario o el correo empieza por
admin-field-role = Rol
admin-field-status = Estado
admin-field-sort = Ordenar por
admin-field-order = Orden
admin-field-limit = Por página
admin-any = Cualquiera
admin-sort-default = Los más nuevos primero (por nombre al buscar)
admin-sort-createdAt = Fecha de alta
admin-sort-username = Nombre de usuario
admin-sort-rating = Valoración
admin-order-default = Predeterminado
admin-order-asc = Ascendente
admin-order-desc = Descendente
admin-apply = Mostrar
admin-clear = Quitar los filtros
admin-users-caption = Usuarios que cumplen los filtros
admin-col-user = Nombre de usuario
admin-col-email = Dirección de correo
admin-col-name = Nombre
admin-col-role = Rol
admin-col-status = Estado
admin-col-rating = Valoración
admin-col-created = Alta
admin-no-users = Ningún usuario cumple estos filtros.
admin-on-page = { $count ->
    [one] 1 usuario en esta página.
   *[other] { $count } usuarios en esta página.
}
admin-admin-count = Administradores en regla: { $count }.
admin-previous = Página anterior
admin-next = Página siguiente
admin-first = Primera página
admin-paging = Páginas
admin-cursor-invalid = Este enlace de página no sirve para estos filtros (cambiaron o el enlace se editó). Empieza de nuevo por la primera página.

role-user = Usuario
role-donator = Donante
role-moderator = Moderador
role-admin = Administrador
status-active = Activa
status-unverified = Sin activar
status-banned = Suspendida
status-pending_deletion = Baja solicitada
status-deleted = Eliminada por el equipo
admin-banned-until = hasta el { $until }
admin-banned-forever = para siempre

# Un usuario
admin-user-title = Usuario { $username }
admin-profile = Perfil
admin-field-id = Identificador
admin-field-name = Nombre
admin-field-plan = Plan
admin-field-rating = Valoración
admin-field-verified = Dirección de correo verificada
admin-field-mfa = Verificación en dos pasos
admin-field-created = Alta
admin-field-updated = Último cambio
admin-field-last-login = Último inicio de sesión
admin-field-sessions = Sesiones iniciadas
admin-yes = Sí
admin-no = No
admin-never = Nunca
admin-ban-reason-shown = Motivo: { $reason }
admin-deletion-scheduled = La baja se pidió el { $date }. La cuenta se eliminará definitivamente el { $purge } salvo que se restaure antes.
admin-deleted-by = Eliminada por { $actor }.
admin-their-audit = Sus acciones en el registro de auditoría
admin-keys = Claves de API
admin-no-keys = Ninguna clave de API.
admin-keys-caption = Claves de API de este usuario
admin-activity = Actividad
admin-activity-caption = Actividad de este usuario, la más reciente primero
admin-activity-actor = Por
admin-activity-more = Actividad anterior
admin-actions = Acciones
admin-no-actions = Tu rol no puede cambiar esta cuenta.

admin-edit = Editar el perfil
admin-field-verified-check = La dirección de correo está verificada
admin-edit-button = Guardar los cambios
admin-role = Rol
admin-role-button = Asignar el rol
admin-ban = Suspender
admin-ban-intro = Una suspensión cierra todas las sesiones del usuario al momento y le impide iniciar sesión. El equipo puede levantarla cuando quiera.
admin-field-ban-reason = Motivo (el usuario lo ve al iniciar sesión)
admin-ban-length = Duración
admin-ban-until-choice = Hasta una fecha y hora
admin-ban-permanent-choice = Para siempre
admin-field-banned-until = Termina el (UTC)
admin-ban-button = Suspender…
admin-unban-intro = Este usuario está suspendido.
admin-unban-button = Levantar la suspensión
admin-delete = Eliminar
admin-delete-intro = La cuenta se conserva { $days } días, durante los que se puede restaurar, y después se elimina definitivamente.
admin-delete-button = Eliminar…
admin-restore-intro = Esta cuenta está pendiente de eliminación.
admin-restore-button = Restaurar la cuenta

# Confirmaciones (acciones destructivas)
admin-confirm-ban-title = ¿Suspender a { $username }?
admin-confirm-ban-until = { $username } quedará suspendido hasta el { $until }.
admin-confirm-ban-forever = { $username } quedará suspendido para siempre, hasta que alguien levante la suspensión.
admin-confirm-ban-reason = El motivo que verá: { $reason }
admin-confirm-ban-sessions = Todas las sesiones de este usuario terminan ahora.
admin-confirm-ban-button = Suspender a { $username }
admin-confirm-delete-title = ¿Eliminar a { $username }?
admin-confirm-delete-text = Todas las sesiones de { $username } terminan ahora y ya no podrá iniciar sesión. La cuenta se eliminará definitivamente el { $date } (dentro de { $days } días) salvo que se restaure antes.
admin-confirm-delete-button = Eliminar a { $username }
admin-cancel = Cancelar

# Crear
admin-new-title = Crear un usuario
admin-new-intro = La cuenta nueva puede iniciar sesión en seguida si su dirección se marca como verificada; si no, recibe el correo de activación.
admin-field-new-verified = Marcar la dirección de correo como verificada
admin-create-button = Crear el usuario

# Registro de auditoría
admin-audit-title = Registro de auditoría
admin-audit-intro = Cada cambio que el equipo hizo en una cuenta, el más reciente primero.
admin-field-actor = Autor (un identificador de usuario, o cli)
admin-field-month = Mes
admin-audit-caption = Entradas del registro
admin-audit-when = Cuándo
admin-audit-actor = Autor
admin-audit-actor-role = Rol
admin-audit-action = Acción
admin-audit-target = Usuario
admin-audit-detail = Detalle
admin-audit-ip = Dirección IP
admin-audit-none = Ninguna entrada.
admin-audit-more = Entradas anteriores
admin-audit-month-before = Entradas de { $month }
admin-audit-all = Todos los autores

# Avisos tras una acción
admin-done-saved = Se guardaron los cambios.
admin-done-role = Se cambió el rol.
admin-done-banned = El usuario está suspendido y se cerraron todas sus sesiones.
admin-done-unbanned = Se levantó la suspensión.
admin-done-deleted = La cuenta está pendiente de eliminación.
admin-done-restored = Se restauró la cuenta.
admin-done-created = Se creó el usuario.

# Reglas que rechazaron una acción (las palabras de los servicios, traducidas)
admin-refused-last-admin = El último administrador no puede perder su rol, ser suspendido ni eliminado.
admin-refused-only-admins-change-roles = Solo los administradores cambian roles.
admin-refused-own-role = No puedes cambiar tu propio rol.
admin-refused-ban-yourself = No puedes suspenderte a ti mismo.
admin-refused-unban-yourself = No puedes levantar tu propia suspensión.
admin-refused-moderators-users-only = Los moderadores solo actúan sobre usuarios y donantes.
admin-refused-delete-yourself = No puedes eliminarte aquí; usa la página de baja de tu cuenta.

field-must-be-a-date-and-time = Escribe una fecha y una hora.
field-must-be-in-the-future = Debe ser en el futuro.
field-must-be-a-whole-number = Debe ser un número entero.
field-must-be-a-whole-number-from-n-to-n = Debe ser un número entero de { $n } a { $m }.
field-must-be-user-donator-moderator-or-admin = Elige usuario, donante, moderador o administrador.
field-must-be-createdat-username-or-rating = Elige fecha de alta, nombre de usuario o valoración.
field-must-be-asc-or-desc = Elige ascendente o descendente.
field-must-be-active-unverified-banned-pending-deletion-or-deleted = Elige un estado de la lista.
field-prefix-search-q-is-ordered-by-username-or-email-use-sort-username-or-omit-sort = Una búsqueda se ordena por nombre: ordena por nombre de usuario o deja el orden predeterminado.
field-must-be-a-user-id-or-cli = Escribe un identificador de usuario (usr_…) o cli.
field-must-be-yyyy-mm = Escribe un mes como AAAA-MM.
