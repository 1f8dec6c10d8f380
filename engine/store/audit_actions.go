package store

// AuditActions are the actions the audit log records, sorted: every one a
// writer passes to Audit (the CLI, the portal, the pipeline, the store
// itself). `lipwatch audit --action` is checked against them, and
// TestAuditActionsListed fails when a writer records one not listed here.
var AuditActions = []string{
	"audit_read",            // lipwatch audit read the log
	"backup",                // lipwatch backup
	"case_assigned",         // the county routed a case of its queue to a township
	"case_reopened",         // an outcome corrected: the case open again
	"cases_extend",          // a deadline extended (CLI, or an extension request granted)
	"cases_list",            // cases listed (CLI, portal)
	"cases_show",            // a case shown (CLI, portal), unmasked or not
	"config_reload",         // the portal's admin reloaded the config
	"dispatch",              // a dispatch batch written
	"dispatch_relocated",    // a batch finished in another folder after a crash
	"dispatch_resumed",      // a batch a crash left unwritten, finished
	"dispatch_rewritten",    // a batch's files written again (dispatch --rewrite)
	"extension_decided",     // the county decided an extension request
	"extension_request",     // a township asked for more time
	"feedback_import",       // a returned list's outcomes applied
	"feedback_refused",      // a returned list refused whole
	"ground_lookup",         // a reporter looked a person up by name and village
	"ground_report",         // a person in difficulty reported from the ground
	"link_confirm",          // an analyst linked a department row to a person (identity resolution)
	"link_reject",           // an analyst refuted a proposed link
	"links_list",            // links listed, reviewed or explained (lipwatch links list/review/explain): names, and ID numbers masked or not
	"links_review",          // the portal's review queue of identity resolution viewed
	"list_download",         // a township list downloaded from the portal
	"login",                 // a portal login
	"login_failed",          // a portal login refused
	"logout",                // a portal logout
	"notify_retry",          // failed notifications tried again
	"portal_outcome",        // an outcome recorded in the portal
	"quarantine_export",     // quarantined rows exported with their raw content
	"restore",               // the store restored from a backup
	"rules_explain",         // lipwatch rules explain of a person
	"scope_denied",          // a portal account asked for a case outside its scope
	"stats_export",          // the portal's statistics exported
	"users_add",             // an account added
	"users_change_password", // an account's own password changed
	"users_disable",         // an account disabled
	"users_enable",          // an account enabled
	"users_grant",           // an account's role or scope changed
	"users_reset_password",  // an account's password reset by an admin
}
