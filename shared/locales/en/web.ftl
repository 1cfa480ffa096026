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

# The account console (shared/src/web/account.rs).
sections-label = Account sections
section-overview = Overview
section-profile = Profile
section-preferences = Preferences
section-settings = Settings
section-password = Password
section-email = Email address
section-mfa = Two-step verification
section-sessions = Sessions
section-api-keys = API keys
section-activity = Activity
section-export = Export your data
section-delete = Delete account
save-button = Save
copy-button = Copy
copied = Copied
sign-in-password-changed = Your password was changed and every session was signed out. Sign in with the new password.

account-not-activated-title = Activate your account first
account-not-activated-next = Back to your account
account-not-activated-text = Your account is not activated yet. Open the link in the activation email, or ask for a new one.
account-resend-activation = Send the activation email again

done-saved = Your changes were saved.
done-avatar = Your new picture was saved.
done-avatar-removed = Your picture was removed.
done-activation-sent = If your account still needs activating, a new activation email is on its way.
done-session-revoked = The session was signed out.
done-key-revoked = The API key was revoked. It no longer works.
done-mfa-off = Two-step verification is off.

field-name = Display name
field-bio = About you
field-location = Location
field-website = Website
avatar-title = Profile picture
avatar-alt = Your current profile picture
field-avatar = New picture
avatar-hint = PNG, JPEG, GIF or WebP, at most 4 MB.
avatar-button = Upload the picture
avatar-remove-button = Remove the picture

field-theme = Theme
theme-auto = Same as my device
theme-light = Light
theme-dark = Dark
field-language = Language
field-timezone = Time zone
timezone-hint = An IANA time zone name, such as Europe/Madrid or America/New_York.

settings-notifications = Email me about
settings-privacy = Privacy
settings-app = Uploads
setting-notifications-email = Account news by email
setting-notifications-push = Push notifications
setting-notifications-uploads = Finished uploads
setting-notifications-sharing = Things shared with me
setting-notifications-storage = Storage running low
setting-notifications-security = Security alerts
setting-notifications-marketing = Offers and product news
setting-privacy-public-profile = Show my profile to anyone
setting-privacy-show-activity = Show my activity on my profile
setting-privacy-allow-indexing = Let search engines index my profile
setting-app-auto-upload = Upload automatically
setting-app-compression-enabled = Compress uploads
setting-app-thumbnail-generation = Make thumbnails
field-default-folder = Default folder

password-intro = Changing your password signs you out everywhere, this browser included.
password-button = Change the password

email-current = Your account's address is { $email }.
email-intro = We will send a link to the new address. The current address keeps working until the link is opened.
field-new-email = New email address
email-button = Send the confirmation link
email-done = If { $email } can be used, a confirmation link is on its way there. It works once, within 1 hour.

mfa-status-on = Two-step verification is on.
mfa-status-off = Two-step verification is off.
mfa-start-intro = With two-step verification, signing in also asks for a code from an authenticator app on your phone. Enter your password to start.
mfa-start-button = Set up two-step verification
mfa-enrol-intro = Scan this code with your authenticator app, then enter the 6-digit code it shows.
mfa-qr-alt = QR code to add this account to an authenticator app
mfa-secret-intro = Cannot scan it? Enter this key instead:
mfa-enrol-again = Enter the 6-digit code your authenticator app shows for this account.
field-totp-code = 6-digit code from your authenticator app
mfa-verify-button = Turn on two-step verification
mfa-start-over = Start again
mfa-codes-notice = Save these backup codes now: they are shown only this once.
mfa-codes-intro = Each backup code signs you in once if you lose your phone. Keep them somewhere safe.
mfa-codes-done = I have saved them
mfa-manage-intro = To get new backup codes or to turn two-step verification off, enter your password and a code from your authenticator app (or a backup code).
mfa-regenerate-button = Get new backup codes
mfa-disable-button = Turn off two-step verification

sessions-intro = These browsers and apps are signed in to your account. Sign out any you do not recognise.
sessions-caption = Signed-in sessions
sessions-device = Device
sessions-ip = IP address
sessions-created = Signed in
sessions-last-used = Last active
sessions-actions = Actions
sessions-this-one = this browser
sessions-revoke = Sign out
sessions-revoke-label = Sign out the session on { $device }

keys-intro = API keys let your own scripts use the API as you. A key can read, or read and change, your profile, settings and uploads.
field-key-name = Name
field-scopes = What the key may do
scope-read = Read
scope-write = Change
field-expires-in = Expires
key-expires-never = Never
key-expires-30d = In 30 days
key-expires-90d = In 90 days
key-expires-365d = In a year
key-create-button = Create the key
key-created = Your new key is below. Copy it now: it is shown only this once.
keys-list-title = Your keys
keys-none = You have no API keys.
keys-caption = API keys
keys-prefix = Starts with
keys-created = Created
keys-last-used = Last used
keys-expires = Expires
keys-status = Status
keys-never = Never
keys-revoke = Revoke
keys-revoke-label = Revoke the key { $name }
key-status-active = Active
key-status-revoked = Revoked
key-status-expired = Expired

activity-intro = What happened on your account in the last 90 days, newest first.
activity-none = Nothing yet.
activity-caption = Account activity
activity-when = When
activity-what = What
activity-detail = Detail
activity-more = Older activity

export-intro = Download everything we store about you as one JSON file: your profile, sessions, activity and API keys (never passwords or keys themselves).
export-button = Download my data

delete-intro = Your account will be deleted after a grace period. Until then you can keep it with the recovery code shown next. Enter your password to confirm.
field-reason = Why are you leaving? (optional)
delete-button = Delete my account
deleted-title = Account scheduled for deletion
deleted-text = Your account will be deleted on { $date }. You have been signed out.
deleted-code-intro = Your recovery code, shown only this once:
deleted-how = To keep your account, enter your email address and this code before that date on the
deleted-recover-link = recovery page

error-CONFLICT = This changed in the meantime. Reload the page and try again.
error-PAYLOAD_TOO_LARGE = The file is too large.
error-UNSUPPORTED_MEDIA_TYPE = This kind of file is not accepted.

# Field errors: the domain's English messages (numbers as $n, $m), shown next to their fields.
field-is-required = This field is required.
field-must-be-a-valid-email-address = Enter a valid email address.
field-must-be-n-n-characters-of-letters-digits-and = Must be { $n } to { $m } characters: letters, digits and _.
field-must-be-at-least-n-characters = Must be at least { $n } characters.
field-must-be-at-least-n-characters-counted-after-unicode-nfkc-normalisation = Must be at least { $n } characters.
field-must-be-at-most-n-characters = Must be at most { $n } characters.
field-must-contain-an-upper-case-letter = Must contain an upper-case letter.
field-must-contain-a-lower-case-letter = Must contain a lower-case letter.
field-must-contain-a-digit = Must contain a digit.
field-must-not-contain-the-username-or-email = Must not contain the username or the email address.
field-must-not-be-the-username-or-the-email-address = Must not be the username or the email address.
field-is-too-common = Is too common: choose another.
field-is-one-of-the-most-common-passwords = Is one of the most common passwords: choose another.
field-appears-in-known-data-breaches-pwned-passwords-choose-another = Appears in known data breaches: choose another.
field-must-be-n-digits = Must be { $n } digits.
field-must-differ-from-the-current-password = Must differ from the current password.
field-must-be-an-http-or-https-url = Must be an http or https address.
field-must-be-n-n-characters = Must be { $n } to { $m } characters.
field-must-not-contain-control-characters = Must not contain control characters.
field-must-be-an-iana-time-zone = Choose a time zone from the IANA list, such as Europe/Madrid.
field-must-name-at-least-one-scope = Choose at least one scope.
field-must-be-n-n-printable-characters = Must be { $n } to { $m } printable characters.

# The overview when mail to the account's address is suppressed (issue 20, docs/operations.md "Mail").
account-mail-suppressed-bounce = Since { $date } we send no email to this address: a message to it bounced, so it does not seem to accept mail.
account-mail-suppressed-complaint = Since { $date } we send no email to this address: one of our messages to it was reported as spam.
account-mail-suppressed-help = Activation and password-reset links and security notices cannot reach you. Change your email address, or ask an administrator to send to this one again once it works.
account-mail-suppressed-change = Change your email address
account-mail-suppressed-help-unactivated = So the activation email cannot reach you either: ask an administrator to send to this address again once it works.
