/* authz.c - the authorizer: one decision function and the rules it implies, behind which the RBAC authorizer will
 * go. Until then every authenticated user may do everything, which is upstream's AlwaysAllow mode (and what
 * system:masters gets under RBAC), so the rules are AlwaysAllow's.
 */
#include "api_authz.h"

#include <errno.h>
#include <stdio.h>

enum api_authz_decision
api_authorize(const struct api_user *user, const struct api_authz_attrs *attrs, char *reason, size_t len)
{
    (void)attrs;
    if (len)
        reason[0] = '\0';
    if (!user || !user->name[0])
        return API_AUTHZ_NO_OPINION;
    if (len)
        snprintf(reason, len, "k8c: every authenticated user is allowed every request (no authorizer yet)");
    return API_AUTHZ_ALLOW;
}

int
api_authz_rules(const struct api_user *user, const char *ns, json_t **resource_rules, json_t **non_resource_rules,
                bool *incomplete)
{
    (void)ns;
    json_t *res = json_array(), *nonres = json_array();
    if (!res || !nonres)
        goto oom;
    if (user && user->name[0]) {
        /* upstream's alwaysAllowAuthorizer.RulesFor */
        /* json_array_append_new takes the reference also when it fails (and fails on NULL) */
        if (json_array_append_new(
                res, json_pack("{s:[s],s:[s],s:[s]}", "verbs", "*", "apiGroups", "*", "resources", "*")) != 0 ||
            json_array_append_new(nonres, json_pack("{s:[s],s:[s]}", "verbs", "*", "nonResourceURLs", "*")) != 0)
            goto oom;
    }
    *resource_rules = res;
    *non_resource_rules = nonres;
    *incomplete = false;
    return 0;
oom:
    json_decref(res);
    json_decref(nonres);
    return -ENOMEM;
}
