# The hosted pages (shared/src/web). Mail texts are in mail.ftl; both are one catalog.
app-name = Accounts
skip-to-content = Skip to content
nav-label = Account
nav-home = Home
nav-sign-in = Sign in
nav-sign-up = Create an account
nav-sign-out = Sign out

page-not-found = Page not found
page-forbidden = Not allowed
page-error = Something went wrong
refused-csrf = This form has expired or was sent from another site. Go back, reload the page and try again.
refused-form-type = This form was sent in a way this page does not accept.
refused-too-large = This form was too large.
refused-malformed = This form could not be read. Reload the page and try again.
form-has-errors = Please correct the fields marked below.

field-username = Username
field-email = Email address
field-password = Password
field-login = Username or email address
field-captcha = The characters in the image
field-new-password = New password
field-current-password = Current password
field-mfa-code = Code from your authenticator app, or a backup code
field-recovery-code = Recovery code
password-hint-classic = At least { $min } characters, with upper- and lower-case letters and a digit.
password-hint-nist = At least { $min } characters. Avoid common passwords and your username.
captcha-alt = Distorted characters to type in the field below

sign-up-title = Create your account
sign-up-button = Create account
sign-up-have-account = Already have an account?
sign-up-done-title = Check your email
sign-up-done-text = We sent an activation link to { $email }. Open it to activate your account.
sign-up-done-no-mail = Your account exists, but the activation email to { $email } could not be sent. Sign in to ask for it again.

activate-title = Activate your account
activate-intro = Press the button to activate your account.
activate-button = Activate my account
activate-done-title = Account activated
activate-done-text = Your account is active. You can sign in now.

confirm-email-title = Confirm your new email address
confirm-email-intro = Press the button to make this the email address of your account.
confirm-email-button = Confirm this address
confirm-email-done-title = Email address changed
confirm-email-done-text = Your account now uses the new address. Sign in with it from now on.

sign-in-title = Sign in
sign-in-button = Sign in
sign-in-forgot = Forgot your password?
sign-in-no-account = No account yet?
mfa-step-title = Two-step verification
mfa-step-intro = Enter the 6-digit code from your authenticator app, or one of your backup codes.
mfa-step-button = Verify

forgot-title = Forgot your password?
forgot-intro = Enter the email address of your account and we will send you a link to choose a new password.
forgot-button = Send the link
forgot-done-title = Check your email
forgot-done-text = If the address belongs to an account, a link to choose a new password is on its way. It works once, within 1 hour.

reset-title = Choose a new password
reset-button = Save the new password
reset-done-title = Password changed
reset-done-text = Your password was changed and every session was signed out. Sign in with the new password.

recover-title = Recover your account
recover-intro = An account waiting for deletion can be kept during its grace period with the recovery code you were given.
recover-button = Recover my account
recover-done-title = Account recovered
recover-done-text = Your account will not be deleted. Sign in to use it again.

account-title = Your account

error-INVALID_CREDENTIALS = The username, email address or password is not right.
error-INVALID_CAPTCHA = The characters did not match the image. Try the new one.
error-INVALID_TOKEN = This link is not valid any more. It may have been used or have expired.
error-INVALID_CODE = That code is not right.
error-CODE_EXPIRED = That code has expired.
error-INVALID_PASSWORD = The current password is not right.
error-EMAIL_TAKEN = An account with this email address already exists.
error-USERNAME_TAKEN = This username is taken.
error-ACCOUNT_NOT_ACTIVATED = This account is not activated yet. Open the link in the activation email first.
error-ACCOUNT_BANNED = This account has been suspended.
error-ACCOUNT_PENDING_DELETION = This account is waiting for deletion. You can recover it with your recovery code.
error-RATE_LIMITED = Too many attempts. Wait a while and try again.
error-UNAUTHENTICATED = Your session has ended. Sign in again.
error-NOT_FOUND = There is nothing at this address.
error-METHOD_NOT_ALLOWED = This page cannot be used that way.
error-FORBIDDEN = You are not allowed to do this.
error-INTERNAL = Something went wrong on our side. Try again in a moment.
error-DEPENDENCY_UNAVAILABLE = The service is busy. Try again in a moment.
