### Mail texts, English (shared/src/mail.rs renders them; the web pages share this catalog).
### Every message here has its twin in es/mail.ftl (a unit test checks it). Values come in as
### { $name } and are escaped by the renderer, never here.

## Shared by every mail

greeting = Hello { $username },
# A mail to an address with no account: there is no name to greet.
greeting-anonymous = Hello,

## Activation: a 6-digit code and a link, both valid 24 h

activation-subject = Activate your account
activation-intro = Welcome! Enter this code to activate your account, or open the link below. Both are valid for 24 hours.
activation-ignore = If you did not sign up, ignore this message.
activation-link = Activate my account

## Password reset: a single-use link valid 1 h

password-reset-subject = Reset your password
password-reset-intro = Someone asked to reset the password of your account. Open the link below within 1 hour to choose a new one; it works once. A new password signs out every session and revokes all your API keys.
password-reset-ignore = If it was not you, ignore this message: your password stays as it is.
password-reset-link = Choose a new password

## Email change: the confirmation to the new address, the notice to the current one

email-change-confirmation-subject = Confirm your new email address
email-change-confirmation-intro = Open the link below within 1 hour to make this the email address of your account; it works once.
email-change-confirmation-ignore = If you did not ask for this, ignore this message: nothing changes.
email-change-confirmation-link = Confirm this address
email-change-notice-subject = Your email address is about to change
email-change-notice-intro = Someone signed in to your account asked to change its email address to { $new_address }. This address keeps working until the link sent there is opened.
email-change-notice-advice = If it was not you, change your password at once and sign out your other sessions.

## Scheduled deletion: the purge date and the recovery code

deletion-scheduled-subject = Your account will be deleted
deletion-scheduled-intro = Your account is scheduled for permanent deletion on { $purge_date }. Until then you can restore it with this recovery code and your email address (POST /api/users/recover).
deletion-scheduled-advice = If you did not ask for this, restore the account at once and change your password.

## Security notices: one subject and one line per event, then the shared advice

security-password-changed-subject = Your password was changed
security-password-changed = The password of your account was just changed and your other sessions were signed out.
security-mfa-enabled-subject = Two-factor authentication is on
security-mfa-enabled = Two-factor authentication was just turned on for your account.
security-mfa-disabled-subject = Two-factor authentication is off
security-mfa-disabled = Two-factor authentication was just turned off for your account.
security-account-recovered-subject = Your account was restored
security-account-recovered = Your account was restored and will not be deleted.
security-api-key-created-subject = A new API key was created
security-api-key-created = A new API key was just created for your account.
security-advice = If it was not you, reset your password at once and review your account.

## An address with no matching account asked for a reset link or an activation code

no-account-password-reset-subject = Password reset requested
no-account-password-reset = Someone asked to reset the password of an account with this address, but no account uses it.
no-account-activation-subject = Activation code requested
no-account-activation = Someone asked for an activation code for this address, but no account waiting to be activated uses it. If you already activated your account, just sign in.
no-account-ignore = If it was not you, ignore this message: nothing was changed.
