/**
 * The scale-tiers policy pack: `pulumi preview --policy-pack policy`.
 * Every policy is mandatory; the rules are in rules.ts, accepted exceptions in
 * waivers.ts (see README.md).
 */
import { PolicyPack } from "@pulumi/policy";
import { packPolicies } from "./pack";

new PolicyPack("scale-tiers", {
    description: "scale-tiers safety net: encryption, exposure, IMDSv2, logging, tags and secrets.",
    enforcementLevel: "mandatory",
    policies: packPolicies(),
});
