/**
 * The pull request's cost diff and its comment, on hand-made estimates: what
 * counts as a change, which stacks exceed their guard (in cents, the lower of
 * the two sides' limits), and what the Markdown says. No mocks.
 */
import { expect } from "chai";
import { DEFAULT_ASSUMPTIONS, FixedCostLine, StackCost, UsageCostLine, Unpriced } from "../plan/cost";
import {
    COST_COMMENT_MARKER,
    CostSide,
    MAX_LINES_PER_STACK,
    costDiff,
    costDiffMarkdown,
    costGuardOf,
    overLimit,
    signedMoney,
    stackCostDiff,
} from "../plan/cost-diff";
import { configPatched, stackConfig } from "./harness";

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function estimate(
    stack: string,
    fixed: FixedCostLine[],
    usage: UsageCostLine[] = [],
    unpriced: Unpriced[] = [],
): StackCost {
    const fixedUsd = sum(fixed.map((l) => l.monthlyUsd));
    const usageUsd = sum(usage.map((l) => l.monthlyUsd));
    return {
        stack,
        region: "ap-northeast-2",
        clients: 30_000,
        asOf: "2026-11",
        fixed,
        usage,
        unpriced,
        fixedUsd,
        usageUsd,
        totalUsd: fixedUsd + usageUsd,
        byComponent: {},
        per1000ClientsUsd: ((fixedUsd + usageUsd) / 30_000) * 1000,
        assumptions: DEFAULT_ASSUMPTIONS,
        complete: unpriced.length === 0,
        uncheckedUsd: 0,
    };
}

function fixed(name: string, monthlyUsd: number, basis: string, type = "aws:ec2/instance:Instance"): FixedCostLine {
    return {
        urn: `urn:pulumi:s::scale-tiers::${type}::${name}`,
        name,
        type,
        component: "scale-tiers:web:Web",
        monthlyUsd,
        basis,
        prices: [],
    };
}

function usage(item: string, quantity: number, unitUsd: number): UsageCostLine {
    return {
        item,
        component: "scale-tiers:edge:Edge",
        quantity,
        unit: "GB",
        unitUsd,
        monthlyUsd: quantity * unitUsd,
        assumption: "0.05 GB per client",
        prices: [],
    };
}

const side = (cost: StackCost, maxMonthlyIncreaseUsd = 250): CostSide => ({
    cost,
    maxMonthlyIncreaseUsd,
});

// A t3.medium web server with its root volume: two fixed lines of one resource.
const web0 = [fixed("web-0", 37.96, "t3.medium 0.052/h x 730 h"), fixed("web-0", 1.6, "gp3 20 GB")];
const egress = usage("data transfer out (alb)", 1500, 0.126);

describe("cost diff", () => {
    it("finds nothing in two equal estimates, float noise included", () => {
        const before = estimate("tier30k", [...web0, fixed("nat", 0.1 + 0.2, "x")], [egress]);
        const after = estimate("tier30k", [...web0, fixed("nat", 0.3, "x")], [egress]);
        const diff = stackCostDiff("tier30k", side(before), side(after));
        expect(diff.status).to.equal("unchanged");
        expect(diff.lines).to.deep.equal([]);
        expect(diff.overLimit).to.equal(false);
    });

    it("shows a resource whose type changed as one line, its fixed lines summed, with both bases", () => {
        const before = estimate("tier30k", web0, [egress]);
        const after = estimate("tier30k", [fixed("web-0", 75.92, "c7i.large 0.104/h x 730 h"), web0[1]], [egress]);
        const diff = stackCostDiff("tier30k", side(before), side(after));
        expect(diff.status).to.equal("changed");
        expect(diff.changeUsd).to.be.closeTo(37.96, 1e-9);
        expect(diff.lines).to.have.length(1);
        const [line] = diff.lines;
        expect(line.label).to.equal("web-0 (aws:ec2/instance:Instance)");
        expect(line.before).to.deep.equal({ monthlyUsd: 37.96 + 1.6, basis: "t3.medium 0.052/h x 730 h + gp3 20 GB" });
        expect(line.after!.basis).to.equal("c7i.large 0.104/h x 730 h + gp3 20 GB");
        expect(line.changeUsd).to.be.closeTo(37.96, 1e-9);
    });

    it("lists usage lines whose quantity changed, and resources added and removed, largest change first", () => {
        const before = estimate(
            "tier30k",
            [...web0, fixed("old-volume", 8, "gp3 100 GB", "aws:ebs/volume:Volume")],
            [egress],
        );
        const after = estimate(
            "tier30k",
            [...web0, fixed("web-1", 39.56, "t3.medium 0.052/h x 730 h + gp3 20 GB")],
            [usage("data transfer out (alb)", 3000, 0.126)],
        );
        const diff = stackCostDiff("tier30k", side(before), side(after));
        expect(diff.lines.map((l) => [l.label, l.before === undefined, l.after === undefined])).to.deep.equal([
            ["data transfer out (alb)", false, false],
            ["web-1 (aws:ec2/instance:Instance)", true, false],
            ["old-volume (aws:ebs/volume:Volume)", false, true],
        ]);
        expect(diff.lines[0].after!.basis).to.equal("3000.0 GB x 0.126");
        expect(diff.changeUsd).to.be.closeTo(189 + 39.56 - 8, 1e-9);
    });

    it("fails a rise over the limit, in cents: exactly the limit passes, a cent more does not", () => {
        const before = estimate("tier30k", [fixed("web-0", 100, "a")]);
        const at = stackCostDiff(
            "tier30k",
            side(before, 50),
            side(estimate("tier30k", [fixed("web-0", 150, "b")]), 50),
        );
        const over = stackCostDiff(
            "tier30k",
            side(before, 50),
            side(estimate("tier30k", [fixed("web-0", 150.01, "b")]), 50),
        );
        expect([at.overLimit, over.overLimit]).to.deep.equal([false, true]);
        expect(over.limitUsd).to.equal(50);
    });

    it("holds a pull request to the base's limit when it raises its own, and to its own when it lowers it", () => {
        const before = estimate("tier30k", [fixed("web-0", 100, "a")]);
        const after = estimate("tier30k", [fixed("web-0", 400, "b")]);
        const raised = stackCostDiff("tier30k", side(before, 250), side(after, 1000));
        expect([raised.limitUsd, raised.overLimit]).to.deep.equal([250, true]);
        const lowered = stackCostDiff("tier30k", side(before, 1000), side(after, 100));
        expect([lowered.limitUsd, lowered.overLimit]).to.deep.equal([100, true]);
    });

    it("never fails a fall in cost, however large, and holds an unreadable guard to no rise at all", () => {
        const big = estimate("tier30k", [fixed("web-0", 5000, "a")]);
        const small = estimate("tier30k", [fixed("web-0", 10, "b")]);
        expect(stackCostDiff("tier30k", side(big, 0), side(small, 0)).overLimit).to.equal(false);
        const unreadable = stackCostDiff(
            "tier30k",
            { cost: small, maxMonthlyIncreaseUsd: undefined },
            { cost: big, maxMonthlyIncreaseUsd: undefined },
        );
        expect([unreadable.limitUsd, unreadable.overLimit]).to.deep.equal([undefined, true]);
    });

    it("fails a rise within the limit that adds what the estimate cannot price, not one that keeps it", () => {
        const rds = { name: "rds", type: "aws:rds/instance:Instance", component: "c", missing: "rdsMysqlHourly" };
        const plain = estimate("tier30k", web0);
        const withRds = estimate("tier30k", web0, [], [rds]);
        const adds = stackCostDiff("tier30k", side(plain), side(withRds));
        expect([adds.risesOverLimit, adds.overLimit, adds.unpricedAdded]).to.deep.equal([
            false,
            true,
            ["rds (aws:rds/instance:Instance): rdsMysqlHourly"],
        ]);
        expect(stackCostDiff("tier30k", side(withRds), side(withRds)).overLimit).to.equal(false);
        expect(stackCostDiff("tier30k", side(withRds), side(plain)).overLimit).to.equal(false);
        const text = costDiffMarkdown(
            costDiff(
                { base: "a", head: "b" },
                new Map([["tier30k", side(plain)]]),
                new Map([["tier30k", side(withRds)]]),
            ),
        );
        expect(text).to.contain("| within $250.00; **adds what the estimate cannot price** |");
        expect(text).to.contain(
            "**tier30k: adds resources the estimate cannot price, so the rise cannot be shown to be within the guard.** The cost check fails",
        );
        expect(text).not.to.contain("rises by more than");
    });

    it("counts a new stack's whole estimate as its rise, and a removed stack as a fall", () => {
        const base = new Map([["gone", side(estimate("gone", [fixed("web-0", 900, "a")]))]]);
        const head = new Map([
            ["tiny", side(estimate("tiny", [fixed("web-0", 200, "a")]))],
            ["large", side(estimate("large", [fixed("web-0", 900, "a")]))],
        ]);
        const diff = costDiff({ base: "`main`", head: "`pr`" }, base, head);
        expect(diff.stacks.map((s) => [s.stack, s.status, s.changeUsd, s.overLimit])).to.deep.equal([
            ["tiny", "added", 200, false],
            ["large", "added", 900, true],
            ["gone", "removed", -900, false],
        ]);
        expect(overLimit(diff).map((s) => s.stack)).to.deep.equal(["large"]);
    });

    it("reads each recorded stack's guard from its config, or none from a config that does not parse", () => {
        const recording = (config: Record<string, string>) => ({
            stack: "tier30k",
            config,
            resources: [],
            outputs: {},
            warnings: [],
        });
        expect(costGuardOf(recording(stackConfig("tier30k")))).to.equal(250);
        expect(
            costGuardOf(recording(configPatched("tier30k", "scale-tiers:costGuard", { maxMonthlyIncreaseUsd: 40 }))),
        ).to.equal(40);
        expect(costGuardOf(recording({ ...stackConfig("tier30k"), "scale-tiers:nonsense": "1" }))).to.equal(undefined);
    });
});

describe("cost diff comment", () => {
    const before = estimate("tier30k", web0, [egress]);
    const after = estimate(
        "tier30k",
        [fixed("web-0", 375.92, "c7i.4xlarge | big"), web0[1]],
        [egress],
        [{ name: "logs", type: "aws:opensearch/domain:Domain", component: "c", missing: 'opensearchHourly["x"]' }],
    );
    const steady = estimate("tier150k", web0);
    const diff = costDiff(
        { base: "`main` (`1a2b3c4d5e6f`)", head: "`pr`" },
        new Map([
            ["tier30k", side(before)],
            ["tier150k", side(steady)],
        ]),
        new Map([
            ["tier30k", side(after)],
            ["tier150k", side(steady)],
        ]),
    );
    const markdown = costDiffMarkdown(diff, { approvalLabel: "cost-approved" });
    const rows = markdown.split("\n");

    it("starts with the hidden marker that finds the comment again", () => {
        expect(rows[0]).to.equal(COST_COMMENT_MARKER);
        expect(COST_COMMENT_MARKER).to.match(/^<!--.*-->$/);
    });

    it("gives each stack before, after, change and guard; a total with unpriced resources as a lower bound", () => {
        expect(rows).to.include(
            "| tier30k | $228.56 | ≥ $566.52 | +$337.96 (+147.9%) | **over** the $250.00 allowed; **adds what the estimate cannot price** |",
        );
        expect(rows).to.include("| tier150k | $39.56 | $39.56 | $0.00 | within $250.00 |");
    });

    it("says which stacks exceed their guard and the label that approves them", () => {
        expect(markdown).to.contain(
            "**tier30k: the monthly estimate rises by more than `costGuard.maxMonthlyIncreaseUsd` allows.**",
        );
        expect(markdown).to.contain("unless the pull request carries the label `cost-approved`");
    });

    it("lists the changed lines of a changed stack only, a pipe in a basis escaped, and what became unpriced", () => {
        expect(markdown).to.contain("### tier30k: +$337.96");
        expect(markdown).not.to.contain("### tier150k");
        expect(rows).to.include(
            "| web-0 (aws:ec2/instance:Instance) | scale-tiers:web:Web | $39.56<br><sub>t3.medium 0.052/h x 730 h + gp3 20 GB</sub> | $377.52<br><sub>c7i.4xlarge \\| big + gp3 20 GB</sub> | +$337.96 |",
        );
        expect(markdown).to.contain(
            'Unpriced now (not in the totals): `logs (aws:opensearch/domain:Domain): opensearchHourly["x"]`.',
        );
    });

    it("says nothing about approval when no stack exceeds its guard", () => {
        const calm = costDiffMarkdown(
            costDiff({ base: "a", head: "b" }, new Map([["s", side(steady)]]), new Map([["s", side(steady)]])),
            { approvalLabel: "cost-approved" },
        );
        expect(calm).not.to.contain("cost-approved");
        expect(calm).to.contain("No stack's estimate changes.");
    });

    it(`lists at most ${MAX_LINES_PER_STACK} lines per stack and sums the rest`, () => {
        const many = (n: number, usd: number) =>
            Array.from({ length: n }, (_, i) => fixed(`web-${String(i).padStart(2, "0")}`, usd, "t3.medium"));
        const grown = costDiffMarkdown(
            costDiff(
                { base: "a", head: "b" },
                new Map([["s", side(estimate("s", []))]]),
                new Map([["s", side(estimate("s", many(MAX_LINES_PER_STACK + 5, 10)))]]),
            ),
        );
        expect(grown.split("\n").filter((row) => row.startsWith("| web-"))).to.have.length(MAX_LINES_PER_STACK);
        expect(grown).to.contain("and 5 more line(s), +$50.00 together");
        expect(grown).to.contain("The cost check fails until the rise is agreed.");
    });

    it("lists at most as many unpriced items as lines, and says when a side's usage could not be priced", () => {
        const unpriced = Array.from({ length: MAX_LINES_PER_STACK + 2 }, (_, i) => ({
            name: `r-${i}`,
            type: "t",
            component: "c",
            missing: "region eu-west-1",
        }));
        const unknownClients = { ...estimate("s", web0), clients: undefined };
        const text = costDiffMarkdown(
            costDiff(
                { base: "a", head: "b" },
                new Map([["s", side(unknownClients)]]),
                new Map([["s", side(estimate("s", web0, [egress], unpriced))]]),
            ),
        );
        expect(text).to.contain("`r-29 (t): region eu-west-1` and 2 more.");
        expect(text).not.to.contain("`r-30");
        expect(text).to.contain(
            "The base's config does not parse with the head's reader, so its usage (which counts `clients`) is not priced",
        );
    });

    it("signs money to the cent", () => {
        expect([signedMoney(1234.5), signedMoney(-0.004), signedMoney(-12), signedMoney(0.005)]).to.deep.equal([
            "+$1,234.50",
            "$0.00",
            "-$12.00",
            "+$0.01",
        ]);
    });
});
