/** Any stack file is a stack: names come from the files, client counts from config. */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { configuredClients, estimateCost } from "../plan/cost";
import { STACKS, stackNames } from "../plan/evaluate";
import { PROJECT_ROOT, configWith, evaluate, stackConfig } from "./harness";

describe("stack names", () => {
    it("are the repository's Pulumi.<name>.yaml files, smallest estate first", () => {
        expect(STACKS).to.deep.equal(["tier30k", "tier150k", "tier1m"]);
    });

    it("find a stack of any name, ordered by the clients its config serves", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stacks-"));
        try {
            fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
            fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.tier1m.yaml"), path.join(dir, "Pulumi.prod.yaml"));
            fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.tier30k.yaml"), path.join(dir, "Pulumi.staging.yaml"));
            fs.writeFileSync(
                path.join(dir, "Pulumi.demo.yaml"),
                "config:\n  scale-tiers:clients: 500\n  scale-tiers:plainHttpDemo: true\n",
            );
            expect(stackNames(dir)).to.deep.equal(["demo", "staging", "prod"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("clients", () => {
    it("default by the estate's shape, whatever the stack is called", async () => {
        const prod = await evaluate("tier30k", { stackName: "prod" });
        expect(prod.stack).to.equal("prod");
        expect(configuredClients(prod)).to.equal(30_000);
        const cost = estimateCost(prod);
        expect(cost.clients).to.equal(30_000);
        expect(cost.per1000ClientsUsd).to.be.greaterThan(0);
    });

    it("come from scale-tiers:clients when a stack sets it", () => {
        const recording = {
            stack: "prod",
            config: configWith("tier150k", { "scale-tiers:clients": "200000" }),
            resources: [],
            outputs: {},
            warnings: [],
        };
        expect(configuredClients(recording)).to.equal(200_000);
        expect(configuredClients({ ...recording, config: stackConfig("tier1m") })).to.equal(1_000_000);
        expect(configuredClients({ ...recording, config: stackConfig("tier150k") })).to.equal(150_000);
    });
});
