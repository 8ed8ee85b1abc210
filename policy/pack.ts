/**
 * Adapts the pure rules (policy/rules.ts) to CrossGuard policies, applying the
 * waivers (policy/waivers.ts). Kept apart from index.ts, which constructs the
 * PolicyPack (and with it the analyzer server), so tests can import this.
 */
import type { Policies, ReportViolation, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { RESOURCE_RULES, STACK_RULES, StackResource, checkRdsHardening } from "./rules";
import { Waiver, WAIVERS, isWaived } from "./waivers";

/** A stack resource as the rules see it; `props` are the engine's outputs, named like the inputs. */
function asStackResource(r: {
    type: string;
    urn: string;
    name: string;
    props: Record<string, unknown>;
}): StackResource {
    const id = r.props.id;
    return { type: r.type, urn: r.urn, name: r.name, inputs: r.props, id: typeof id === "string" ? id : undefined };
}

export function packPolicies(waivers: readonly Waiver[] = WAIVERS): Policies {
    const resourcePolicies = RESOURCE_RULES.map((rule): ResourceValidationPolicy => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory",
        ...(rule.name === "rds-hardened"
            ? {
                  configSchema: {
                      properties: { requireMultiAz: { type: "boolean", default: false } },
                  },
              }
            : {}),
        validateResource: (args, reportViolation: ReportViolation) => {
            if (isWaived(rule.name, args.urn, waivers)) {
                return;
            }
            const messages =
                rule.name === "rds-hardened"
                    ? checkRdsHardening(args.type, args.props, args.getConfig<{ requireMultiAz?: boolean }>())
                    : rule.check(args.type, args.props);
            messages.forEach((message) => reportViolation(message));
        },
    }));
    const stackPolicies = STACK_RULES.map((rule): StackValidationPolicy => ({
        name: rule.name,
        description: rule.description,
        enforcementLevel: "mandatory",
        validateStack: (args, reportViolation: ReportViolation) => {
            for (const v of rule.check(args.resources.map(asStackResource))) {
                if (!isWaived(rule.name, v.urn, waivers)) {
                    reportViolation(v.message, v.urn);
                }
            }
        },
    }));
    return [...resourcePolicies, ...stackPolicies];
}
