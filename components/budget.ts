/**
 * The stack's AWS Budget: monthly cost of the resources tagged with the
 * stack's name, limited at its estimate plus a margin, with forecast alerts
 * to the alarm topic before the month ends over it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Forecast alerts, in percent of the limit: early warning, then the limit itself. */
export const BUDGET_ALERT_PERCENTS = [80, 100] as const;

export interface CostBudgetArgs {
    project: string;
    stack: string;
    /** The stack's estimated monthly cost, USD. */
    estimatedMonthlyUsd: pulumi.Input<number>;
    /** Percent added to the estimate for the limit (0 to 500). */
    marginPercent: number;
    /** The alarm topic the alerts publish to; none: the budget alerts nobody, and preview warns. */
    alarmTopicArn?: pulumi.Input<string>;
}

/** The budget's limit (USD, two decimals as Budgets takes it) for an estimate and a margin. */
export function budgetLimit(estimatedMonthlyUsd: number, marginPercent: number): string {
    return ((estimatedMonthlyUsd * (100 + marginPercent)) / 100).toFixed(2);
}

export class CostBudget extends pulumi.ComponentResource {
    public readonly budgetName: pulumi.Output<string>;
    public readonly limitUsd: pulumi.Output<string>;

    constructor(name: string, args: CostBudgetArgs, opts?: pulumi.ComponentResourceOptions) {
        super("scale-tiers:cost:Budget", name, {}, opts);
        this.limitUsd = pulumi.output(args.estimatedMonthlyUsd).apply((usd) => budgetLimit(usd, args.marginPercent));
        const budget = new aws.budgets.Budget(
            `${name}-monthly`,
            {
                name: `${args.project}-${args.stack}-monthly`,
                budgetType: "COST",
                timeUnit: "MONTHLY",
                limitAmount: this.limitUsd,
                limitUnit: "USD",
                // What the estimate covers: the stack's own resources, by the tag every one of them carries
                // (a cost allocation tag to activate once per account: docs/configuration.md, budget).
                costFilters: [{ name: "TagKeyValue", values: [`user:stack$${args.stack}`] }],
                notifications: args.alarmTopicArn
                    ? BUDGET_ALERT_PERCENTS.map((threshold) => ({
                          notificationType: "FORECASTED",
                          comparisonOperator: "GREATER_THAN",
                          threshold,
                          thresholdType: "PERCENTAGE",
                          subscriberSnsTopicArns: [args.alarmTopicArn!],
                      }))
                    : [],
            },
            { parent: this },
        );
        this.budgetName = budget.name;
        if (!args.alarmTopicArn) {
            // The runtime waits for its log messages itself before the program ends.
            void pulumi.log.warn(
                "The monthly budget has no alarm topic to alert: nobody is told when the forecast passes it. " +
                    "Set scale-tiers:monitoring.enabled: true (docs/configuration.md, budget).",
                this,
            );
        }
        this.registerOutputs({ budgetName: this.budgetName, limitUsd: this.limitUsd });
    }
}
