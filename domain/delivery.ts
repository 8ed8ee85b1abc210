/**
 * How a release reaches the web servers, shared by the Jenkins side (ci) and
 * the servers that receive it (compute).
 */

/** Key of the tag that selects the servers a deploy goes to. */
export const DEPLOY_GROUP_TAG = "scale-tiers:deploy-group";

/** Where release packages live in the artifact bucket. */
export const RELEASES_PREFIX = "releases/";
