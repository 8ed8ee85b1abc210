/**
 * Monthly cost estimate of a recording, priced by the pure estimate in
 * domain/cost.ts (which the program's budget uses too) with the stack's own
 * config: its region, clients, usage assumptions and access-log retention.
 * A price the table lacks is reported as unpriced, never counted as zero, and
 * the totals are then printed as a lower bound.
 */
import { CostEstimate, estimateResources } from "../domain/cost";
import { DEFAULT_USAGE_ASSUMPTIONS, StackConfig, UsageAssumptions } from "../domain/stack-config";
import { parseStackConfig } from "../stacks/config";
import { ConfigError } from "../domain/config-problem";
import { Recording, projectName } from "./evaluate";
import { PRICES, PriceTable } from "./prices";

export { FixedCostLine, UsageCostLine, Unpriced, natGatewayCount } from "../domain/cost";
export { UsageAssumptions } from "../domain/stack-config";

/** The recorded stack's config, or undefined for a hand-made recording without a stack's config. */
function recordedConfig(recording: Recording): StackConfig | undefined {
    try {
        return parseStackConfig({ project: projectName(), stack: recording.stack, values: recording.config });
    } catch (error) {
        if (error instanceof ConfigError) {
            return undefined;
        }
        throw error;
    }
}

/**
 * The clients a recorded stack serves (`scale-tiers:clients`, or its shape's
 * default), whatever the stack is called; undefined for a hand-made recording
 * without a stack's config.
 */
export function configuredClients(recording: Recording): number | undefined {
    return recordedConfig(recording)?.clients;
}

/** The usage assumptions of a stack that sets none (docs/configuration.md, `usageAssumptions`). */
export const DEFAULT_ASSUMPTIONS: UsageAssumptions = DEFAULT_USAGE_ASSUMPTIONS;

export interface StackCost extends CostEstimate {
    readonly stack: string;
}

/**
 * The monthly cost of a recording, for `clients` clients (default: the
 * stack's configured clients), at the prices of `region` (default: the stack's).
 */
export function estimateCost(
    recording: Recording,
    options: { clients?: number; prices?: PriceTable; assumptions?: UsageAssumptions; region?: string } = {},
): StackCost {
    const config = recordedConfig(recording);
    const estimate = estimateResources(recording.resources, {
        region: options.region ?? recording.config["aws:region"] ?? config?.region ?? "ap-northeast-2",
        clients: options.clients ?? config?.clients,
        assumptions: options.assumptions ?? config?.usageAssumptions ?? DEFAULT_ASSUMPTIONS,
        accessLogRetentionDays: config?.loadBalancer.accessLogRetentionDays ?? 90,
        prices: options.prices ?? PRICES,
    });
    return { stack: recording.stack, ...estimate };
}

const usd = (value: number): string => `$${value.toFixed(2)}`;

/** The headline of a cost: the total, or, while anything is unpriced, a lower bound said as such. */
export function costHeadline(cost: CostEstimate): string {
    const total = cost.complete
        ? usd(cost.totalUsd)
        : `AT LEAST ${usd(cost.totalUsd)} (LOWER BOUND: ${cost.unpriced.length} item(s) UNPRICED, listed below)`;
    return `fixed ${usd(cost.fixedUsd)} + usage ${usd(cost.usageUsd)} = ${total}`;
}

/** The cost as text: totals, per component, usage lines with their assumptions, unpriced items. */
export function formatCost(cost: StackCost): string {
    const perClients =
        cost.per1000ClientsUsd !== undefined
            ? `; ${cost.complete ? "" : "at least "}${usd(cost.per1000ClientsUsd)} per 1,000 clients (${cost.clients} clients)`
            : "";
    const lines = [
        `  monthly cost (${cost.region}, on-demand, prices as of ${cost.asOf}): ${costHeadline(cost)}${perClients}`,
        `    of which ${usd(cost.uncheckedUsd)} rests on prices not checked against a published source (npm run prices -- --refresh checks them)`,
    ];
    const width = Math.max(0, ...Object.keys(cost.byComponent).map((c) => c.length));
    for (const [component, c] of Object.entries(cost.byComponent)) {
        lines.push(
            `    ${component.padEnd(width)} fixed ${usd(c.fixedUsd).padStart(10)}  usage ${usd(c.usageUsd).padStart(10)}`,
        );
    }
    lines.push("    usage (per month, from scale-tiers:usageAssumptions):");
    for (const u of cost.usage) {
        lines.push(
            `      ${u.item}: ${u.quantity.toFixed(1)} ${u.unit} x ${u.unitUsd} = ${usd(u.monthlyUsd)} (${u.assumption})`,
        );
    }
    if (!cost.complete) {
        lines.push(
            `    UNPRICED, NOT IN THE TOTALS ABOVE, WHICH ARE A LOWER BOUND (add the prices to domain/price-table.ts, or run npm run prices -- --refresh):`,
        );
        cost.unpriced.forEach((u) => lines.push(`      ${u.name} (${u.type}): ${u.missing}`));
    }
    return lines.join("\n");
}
