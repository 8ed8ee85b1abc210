/**
 * The program's own cost estimate, for its budget: every resource the
 * program registers is seen by a stack transformation as it is constructed,
 * and priced, once its inputs resolve, by the same pure estimate the plan
 * runs on its recordings (domain/cost.ts) with the stack's config. The budget
 * therefore follows what the program actually creates, with no figure to
 * keep in step by hand; a test holds it equal to the plan's estimate.
 */
import * as pulumi from "@pulumi/pulumi";
import { BilledResource, PRICED_BY_INPUTS, estimateResources } from "../domain/cost";
import { PRICES } from "../domain/price-table";
import { StackConfig } from "../domain/stack-config";

interface Seen {
    type: string;
    name: string;
    custom: boolean;
    parent: pulumi.Output<string> | undefined;
    inputs: pulumi.Output<unknown>;
}

/** What the program registers from now on, for `estimatedMonthlyUsd`. Call it before creating any resource. */
export class RegisteredResources {
    private readonly seen: Seen[] = [];

    constructor() {
        pulumi.runtime.registerStackTransformation((args) => {
            this.seen.push({
                type: args.type,
                name: args.name,
                custom: args.resource instanceof pulumi.CustomResource,
                parent: args.opts.parent?.urn,
                inputs: PRICED_BY_INPUTS.has(args.type) ? pulumi.output(args.props as unknown) : pulumi.output({}),
            });
            return undefined;
        });
    }

    /**
     * The estimated monthly cost (USD) of what has been registered so far, as
     * the plan estimates it: fixed plus usage for the configured clients.
     * Unknown until the inputs are (a first preview). While anything is
     * unpriced it is the plan's lower bound too, and preview warns.
     */
    estimatedMonthlyUsd(config: StackConfig): pulumi.Output<number> {
        const resources = this.seen.map((s) =>
            pulumi.all([s.inputs, s.parent ?? ""]).apply(([inputs, parent]): BilledResource => ({
                urn: `${parent}$${s.type}::${s.name}`,
                type: s.type,
                name: s.name,
                component: parent,
                custom: s.custom,
                inputs,
            })),
        );
        return pulumi.unsecret(
            pulumi.all(resources).apply((billed) => {
                const estimate = estimateResources(billed, {
                    region: config.region,
                    clients: config.clients,
                    assumptions: config.usageAssumptions,
                    accessLogRetentionDays: config.loadBalancer.accessLogRetentionDays,
                    prices: PRICES,
                });
                if (!estimate.complete) {
                    const missing = estimate.unpriced.map((u) => `${u.name}: ${u.missing}`).join("; ");
                    // The runtime waits for its log messages itself before the program ends.
                    void pulumi.log.warn(
                        `The monthly budget's limit rests on a lower bound: ${estimate.unpriced.length} item(s) are unpriced ` +
                            `(${missing}). Add their prices (npm run prices -- --refresh, docs/cost.md).`,
                    );
                }
                return estimate.totalUsd;
            }),
        );
    }
}
