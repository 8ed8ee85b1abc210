/**
 * The one place where a policy violation may be accepted. Both the policy pack
 * (`pulumi preview --policy-pack policy`) and tests/policy.test.ts read this
 * list; a waiver names the policy, the URNs it covers and why.
 */
export interface Waiver {
    /** A policy name from policy/rules.ts. */
    readonly policy: string;
    /** Matched against the violating resource's URN. */
    readonly urnPattern: RegExp;
    /** Why the violation is accepted, and until when. */
    readonly reason: string;
}

export const WAIVERS: readonly Waiver[] = [];

/** Whether a violation of `policy` by the resource `urn` is waived. */
export function isWaived(policy: string, urn: string | undefined, waivers: readonly Waiver[] = WAIVERS): boolean {
    return waivers.some((w) => w.policy === policy && urn !== undefined && w.urnPattern.test(urn));
}
