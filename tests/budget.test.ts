/**
 * Each stack's AWS Budget: monthly, on cost, limited at the plan's own
 * estimate of the same config plus the configured margin, forecast alerts at
 * 80% and 100% to the alarm topic, whose policy and key let AWS Budgets publish.
 */
import { expect } from "chai";
import { BUDGET_ALERT_PERCENTS, budgetLimit } from "../components/budget";
import { estimateCost } from "../plan/cost";
import { Recording } from "../plan/evaluate";
import { STACKS, configPatched, evaluate, input, named, ofType, parsePolicy, recordStack } from "./harness";

const BUDGET = "aws:budgets/budget:Budget";

function budgetOf(recording: Recording) {
    return named(recording, BUDGET, "budget-monthly");
}

describe("the monthly budget (mocks)", () => {
    for (const stack of STACKS) {
        it(`limits ${stack}'s monthly cost at the plan's estimate plus 20%`, async () => {
            const recording = await recordStack(stack);
            const budget = budgetOf(recording);
            const estimate = estimateCost(recording);
            expect(estimate.complete).to.equal(true);
            expect(input(budget, "limitAmount")).to.equal(budgetLimit(estimate.totalUsd, 20));
            expect(Number(input(budget, "limitAmount"))).to.be.closeTo(estimate.totalUsd * 1.2, 0.01);
            expect(budget.inputs).to.include({
                budgetType: "COST",
                timeUnit: "MONTHLY",
                limitUnit: "USD",
                name: `scale-tiers-${stack}-monthly`,
            });
            expect(input(budget, "costFilters")).to.deep.equal([
                { name: "TagKeyValue", values: [`user:stack$${stack}`] },
            ]);
            expect(recording.outputs.budgetLimitUsd).to.equal(input(budget, "limitAmount"));
        });
    }

    for (const stack of ["tier150k", "tier1m"]) {
        it(`alerts ${stack}'s alarm topic when the month's forecast passes 80% and 100%`, async () => {
            const recording = await recordStack(stack);
            const topicArn = recording.outputs.alarmTopicArn as string;
            expect(topicArn).to.match(/^arn:aws:sns:/);
            expect(input(budgetOf(recording), "notifications")).to.deep.equal(
                BUDGET_ALERT_PERCENTS.map((threshold) => ({
                    notificationType: "FORECASTED",
                    comparisonOperator: "GREATER_THAN",
                    threshold,
                    thresholdType: "PERCENTAGE",
                    subscriberSnsTopicArns: [topicArn],
                })),
            );
        });

        it(`lets AWS Budgets publish to ${stack}'s encrypted alarm topic, and CloudWatch still`, async () => {
            const recording = await recordStack(stack);
            const topicPolicy = named(recording, "aws:sns/topicPolicy:TopicPolicy", "monitoring-alarms-policy");
            expect(input(topicPolicy, "arn")).to.equal(recording.outputs.alarmTopicArn);
            const statements = parsePolicy(input<string>(topicPolicy, "policy")).Statement;
            const publish = statements.find((s) => s.Sid === "ServicesPublish")!;
            expect(publish.Principal).to.deep.equal({
                Service: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"],
            });
            expect(publish.Action).to.equal("sns:Publish");
            expect(publish.Resource).to.equal(recording.outputs.alarmTopicArn);
            expect(publish.Condition).to.deep.equal({ StringEquals: { "aws:SourceAccount": "123456789012" } });
            expect(statements.find((s) => s.Sid === "AccountAdministers")!.Principal).to.deep.equal({
                AWS: "arn:aws:iam::123456789012:root",
            });
            const keyPolicy = parsePolicy(
                input<string>(named(recording, "aws:kms/key:Key", "monitoring-alarms-key"), "policy"),
            );
            const keyUse = keyPolicy.Statement.find((s) => s.Sid === "CloudWatchPublishes")!;
            expect(keyUse.Principal).to.deep.equal({ Service: ["cloudwatch.amazonaws.com", "budgets.amazonaws.com"] });
            expect(keyUse.Action).to.deep.equal(["kms:Decrypt", "kms:GenerateDataKey*"]);
        });
    }

    it("alerts nobody in tier30k, which has no alarm topic, and says so", async () => {
        const recording = await recordStack("tier30k");
        expect(input(budgetOf(recording), "notifications")).to.deep.equal([]);
        expect(recording.warnings).to.include(
            "The monthly budget has no alarm topic to alert: nobody is told when the forecast passes it. " +
                "Set scale-tiers:monitoring.enabled: true (docs/configuration.md, budget).",
        );
    });

    it("follows the configured margin", async () => {
        const recording = await evaluate("tier150k", {
            config: configPatched("tier150k", "scale-tiers:budget", { marginPercent: 50 }),
        });
        const estimate = estimateCost(recording).totalUsd;
        expect(input(budgetOf(recording), "limitAmount")).to.equal(budgetLimit(estimate, 50));
        expect(Number(input(budgetOf(recording), "limitAmount"))).to.be.closeTo(estimate * 1.5, 0.01);
    });

    it("sets the limit at the plan's lower bound while anything is unpriced, and warns", async () => {
        const recording = await evaluate("tier30k", {
            config: configPatched("tier30k", "scale-tiers:web", { instanceType: "t4g.medium" }),
        });
        const estimate = estimateCost(recording);
        expect(estimate.complete).to.equal(false);
        expect(input(budgetOf(recording), "limitAmount")).to.equal(budgetLimit(estimate.totalUsd, 20));
        expect(
            recording.warnings.some((w) => /limit rests on a lower bound: 2 item\(s\) are unpriced/.test(w)),
        ).to.equal(true);
    });

    it("is left out, with the topic's policy and the key's grant for it, when disabled", async () => {
        const recording = await evaluate("tier1m", {
            config: configPatched("tier1m", "scale-tiers:budget", { enabled: false }),
        });
        expect(ofType(recording, BUDGET)).to.deep.equal([]);
        expect(ofType(recording, "aws:sns/topicPolicy:TopicPolicy")).to.deep.equal([]);
        const keyPolicy = parsePolicy(
            input<string>(named(recording, "aws:kms/key:Key", "monitoring-alarms-key"), "policy"),
        );
        expect(keyPolicy.Statement.find((s) => s.Sid === "CloudWatchPublishes")!.Principal).to.deep.equal({
            Service: "cloudwatch.amazonaws.com",
        });
        expect(recording.outputs).not.to.have.property("budgetLimitUsd");
    });
});
