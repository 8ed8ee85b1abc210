/**
 * The road 30k -> 150k -> 1M that `npm run grow` writes, one step at a time,
 * walked under one stack name from the shipped tier30k file.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { StackConfig } from "../domain/stack-config";
import { stackConfigFromText } from "../plan/evaluate";
import { ROAD, roadPosition, shippedConfig, writeStep } from "../plan/road";
import { parseStackConfig } from "../stacks/config";
import { PROJECT_ROOT, evaluate, named, ofType, stateOf } from "./harness";

/** A stack file's text as the loader reads it (over Pulumi.yaml's defaults). */
function configOf(text: string): { values: Record<string, string>; config: StackConfig } {
    const values = stackConfigFromText(text);
    return { values, config: parseStackConfig({ project: "scale-tiers", stack: "tier30k", values }) };
}

const tier30kText = () => fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.tier30k.yaml"), "utf8");

/** Every step of the road from `text`, each written and read back: the texts after each step. */
function walk(text: string): { step: string; text: string }[] {
    const steps: { step: string; text: string }[] = [];
    for (;;) {
        const position = roadPosition(configOf(text).config);
        if ("refused" in position) {
            throw new Error(position.refused);
        }
        if ("done" in position) {
            return steps;
        }
        text = writeStep(text, position.next.values(shippedConfig));
        steps.push({ step: position.next.name, text });
    }
}

describe("the road an estate grows along", () => {
    const steps = walk(tier30kText());
    const end = configOf(steps[steps.length - 1].text).config;

    it("takes every step once, in order, each one a config the loader accepts", () => {
        expect(steps.map((s) => s.step)).to.deep.equal(ROAD.map((s) => s.name));
    });

    it("ends with tier1m's services, the MySQL servers retired and RabbitMQ retired, the data kept", () => {
        expect(end.web.autoScaling.enabled).to.equal(true);
        expect(end.database.rds).to.deep.include({ enabled: true, multiAz: true, readReplicas: 1 });
        expect([end.elasticache.enabled, end.sqs.enabled, end.logging.enabled]).to.deep.equal([true, true, true]);
        expect(end.migration.phase).to.equal("decommissioned");
        expect(end.database.selfManaged).to.equal(true);
        expect(end.memcached.enabled).to.equal(false);
        expect(end.rabbitmq).to.deep.include({ enabled: false, retired: true });
        expect(roadPosition(end)).to.deep.equal({ done: true });
    });

    it("keeps the estate's own domain, and switches the WAF on at tier150k", () => {
        const own = tier30kText().replace("zone: scale-tiers.example", "zone: shop.example");
        const [tier150k] = walk(own);
        const config = configOf(tier150k.text).config;
        expect(config.domain).to.deep.include({
            zone: "shop.example",
            siteHosts: ["shop.example", "www.shop.example"],
        });
        expect(config.waf).to.deep.include({ enabled: true, ratePerIpPer5Minutes: 2000 });
    });

    it("keeps the file's comments, and removes the fixed-server count a group replaces", () => {
        const last = steps[steps.length - 1].text;
        expect(last.split("\n")[0]).to.equal(tier30kText().split("\n")[0]);
        expect(configOf(last).values["scale-tiers:web"]).not.to.contain("instanceCount");
    });

    it("never lowers a size the stack already has: EBS volumes cannot shrink", () => {
        const big = writeStep(tier30kText(), { "scale-tiers:database": { dataVolume: { sizeGiB: 2000 } } });
        const [first] = walk(big);
        expect(configOf(first.text).config.database.dataVolume.sizeGiB).to.equal(2000);
        expect(configOf(walk(tier30kText())[0].text).config.database.dataVolume.sizeGiB).to.equal(500);
    });

    it("refuses an estate built at 1M, and one that is off the road", () => {
        const tier1m = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.tier1m.yaml"), "utf8");
        expect(roadPosition(configOf(tier1m).config))
            .to.have.property("refused")
            .that.matches(/built at 1M/);
        // The README's old advice: tier150k given RDS and a finished migration, skipping every step between.
        const skipped = writeStep(steps[0].text, {
            "scale-tiers:database": { rds: { enabled: true } },
            "scale-tiers:migration": { phase: "decommissioned", from: "cutover" },
        });
        expect(roadPosition(configOf(skipped).config))
            .to.have.property("refused")
            .that.matches(/has taken "decommissioned" without "managed-services"/);
    });

    it("keeps the 30k estate's data volume through the whole road, the state read back (mocks)", async () => {
        const [beforeLast, last] = steps.slice(-2).map((step) => configOf(step.text).values);
        const recording = await evaluate("tier30k", { config: last, previous: stateOf(beforeLast, "tier30k") });
        const volume = named(recording, "aws:ebs/volume:Volume", "db-primary-data");
        expect(volume).to.include({ protect: true, retainOnDelete: true });
        expect(named(recording, "aws:ebs/snapshot:Snapshot", "db-primary-data-final").inputs.volumeId).to.equal(
            "db-primary-data-id",
        );
        expect(ofType(recording, "aws:rds/instance:Instance").length).to.be.greaterThan(0);
    });
});
