# The admin console (shared/src/web/admin.rs), and what the other pages say about a ban.
error-ACCOUNT_BANNED-until = This account is suspended until { $until }.
error-ACCOUNT_BANNED-reason = Reason: { $reason }
error-USER_NOT_FOUND = There is no user with this id.
nav-admin = Admin console

admin-nav-label = Console sections
admin-users = Users
admin-new-user = New user
admin-audit = Audit trail
admin-back-to-account = Your account

# The users table
admin-users-title = Users
admin-filters = Find users
admin-field-q = Username or email starts with
admin-field-role = Role
admin-field-status = Status
admin-field-sort = Sort by
admin-field-order = Order
admin-field-limit = Per page
admin-any = Any
admin-sort-default = Newest first (by name when searching)
admin-sort-createdAt = Created
admin-sort-username = Username
admin-sort-rating = Rating
admin-order-default = Default
admin-order-asc = Ascending
admin-order-desc = Descending
admin-apply = Show
admin-clear = Clear the filters
admin-users-caption = Users matching the filters
admin-col-user = Username
admin-col-email = Email address
admin-col-name = Name
admin-col-role = Role
admin-col-status = Status
admin-col-rating = Rating
admin-col-created = Created
admin-no-users = No user matches these filters.
admin-on-page = { $count ->
    [one] 1 user on this page.
   *[other] { $count } users on this page.
}
admin-admin-count = Admins in good standing: { $count }.
admin-previous = Previous page
admin-next = Next page
admin-first = First page
admin-paging = Pages
admin-cursor-invalid = This page link is not valid for these filters (they changed, or the link was edited). Start again from the first page.

role-user = User
role-donator = Donator
role-moderator = Moderator
role-admin = Admin
status-active = Active
status-unverified = Not activated
status-banned = Banned
status-pending_deletion = Deletion requested
status-deleted = Deleted by staff
admin-banned-until = until { $until }
admin-banned-forever = permanently

# One user
admin-user-title = User { $username }
admin-profile = Profile
admin-field-id = Id
admin-field-name = Name
admin-field-plan = Plan
admin-field-rating = Rating
admin-field-verified = Email address verified
admin-field-mfa = Two-step verification
admin-field-created = Created
admin-field-updated = Last changed
admin-field-last-login = Last signed in
admin-field-sessions = Signed-in sessions
admin-yes = Yes
admin-no = No
admin-never = Never
admin-ban-reason-shown = Reason: { $reason }
admin-deletion-scheduled = Deletion was asked for on { $date }. The account is removed for good on { $purge } unless it is restored before.
admin-deleted-by = Deleted by { $actor }.
admin-their-audit = Their actions in the audit trail
admin-keys = API keys
admin-no-keys = No API keys.
admin-keys-caption = API keys of this user
admin-activity = Activity
admin-activity-caption = Activity of this user, newest first
admin-activity-actor = By
admin-activity-more = Older activity
admin-actions = Actions
admin-no-actions = Your role cannot change this account.

admin-edit = Edit the profile
admin-field-verified-check = The email address is verified
admin-edit-button = Save the changes
admin-role = Role
admin-role-button = Set the role
admin-ban = Ban
admin-ban-intro = A ban signs the user out everywhere at once and stops them from signing in. Staff can lift it at any time.
admin-field-ban-reason = Reason (the user sees it when signing in)
admin-ban-length = How long
admin-ban-until-choice = Until a date and time
admin-ban-permanent-choice = Permanently
admin-field-banned-until = Ends at (UTC)
admin-ban-button = Ban…
admin-unban-intro = This user is banned.
admin-unban-button = Lift the ban
admin-delete = Delete
admin-delete-intro = The account is kept for { $days } days, during which it can be restored, then removed for good.
admin-delete-button = Delete…
admin-restore-intro = This account is waiting to be removed.
admin-restore-button = Restore the account

# Confirmations (destructive actions)
admin-confirm-ban-title = Ban { $username }?
admin-confirm-ban-until = { $username } will be banned until { $until }.
admin-confirm-ban-forever = { $username } will be banned permanently, until someone lifts the ban.
admin-confirm-ban-reason = The reason they will see: { $reason }
admin-confirm-ban-sessions = Every session of this user ends now.
admin-confirm-ban-button = Ban { $username }
admin-confirm-delete-title = Delete { $username }?
admin-confirm-delete-text = Every session of { $username } ends now and they can no longer sign in. The account is removed for good on { $date } ({ $days } days from now) unless it is restored before.
admin-confirm-delete-button = Delete { $username }
admin-cancel = Cancel

# Create
admin-new-title = Create a user
admin-new-intro = The new account can sign in at once when its address is marked as verified; otherwise it gets the activation email.
admin-field-new-verified = Mark the email address as verified
admin-create-button = Create the user

# Audit trail
admin-audit-title = Audit trail
admin-audit-intro = Every change staff made to an account, newest first.
admin-field-actor = Actor (a user id, or cli)
admin-field-month = Month
admin-audit-caption = Audit entries
admin-audit-when = When
admin-audit-actor = Actor
admin-audit-actor-role = Role
admin-audit-action = Action
admin-audit-target = User
admin-audit-detail = Detail
admin-audit-ip = IP address
admin-audit-none = No entries.
admin-audit-more = Older entries
admin-audit-month-before = Entries of { $month }
admin-audit-all = All actors

# Notices after an action
admin-done-saved = The changes were saved.
admin-done-role = The role was changed.
admin-done-banned = The user is banned and was signed out everywhere.
admin-done-unbanned = The ban was lifted.
admin-done-deleted = The account is scheduled for deletion.
admin-done-restored = The account was restored.
admin-done-created = The user was created.

# Rules that refused an action (the services' own words, translated)
admin-refused-last-admin = The last admin cannot be demoted, banned or deleted.
admin-refused-only-admins-change-roles = Only admins change roles.
admin-refused-own-role = You cannot change your own role.
admin-refused-ban-yourself = You cannot ban yourself.
admin-refused-unban-yourself = You cannot lift a ban on yourself.
admin-refused-moderators-users-only = Moderators may act on users and donators only.
admin-refused-delete-yourself = You cannot delete yourself here; use your account's deletion page.

field-must-be-a-date-and-time = Enter a date and time.
field-must-be-in-the-future = Must be in the future.
field-must-be-a-whole-number = Must be a whole number.
field-must-be-a-whole-number-from-n-to-n = Must be a whole number from { $n } to { $m }.
field-must-be-user-donator-moderator-or-admin = Choose user, donator, moderator or admin.
field-must-be-createdat-username-or-rating = Choose created, username or rating.
field-must-be-asc-or-desc = Choose ascending or descending.
field-must-be-active-unverified-banned-pending-deletion-or-deleted = Choose a status from the list.
field-prefix-search-q-is-ordered-by-username-or-email-use-sort-username-or-omit-sort = A search is ordered by name: sort by username, or leave the default.
field-must-be-a-user-id-or-cli = Enter a user id (usr_…) or cli.
field-must-be-yyyy-mm = Enter a month as YYYY-MM.
