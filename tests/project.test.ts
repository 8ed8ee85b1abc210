/**
 * The project file stays acceptable to the Pulumi CLI, and every config key
 * the program reads is declared or documented.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { parseStackConfig } from "../stacks/config";
import { ConfigError } from "../stacks/schema";
import { PROJECT_ROOT, STACKS, projectDefaults, stackConfig } from "./harness";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");
const project = parseYaml(read("Pulumi.yaml")) as {
    name: string;
    runtime: { name: string };
    config: Record<string, unknown>;
};
const SIMPLE_TYPES = ["string", "integer", "boolean", "array"];

function typeOf(value: unknown): string {
    if (Array.isArray(value)) {
        return "array";
    }
    return typeof value === "number" && Number.isInteger(value) ? "integer" : typeof value;
}

describe("Pulumi.yaml", () => {
    it("names the project and the Node.js runtime", () => {
        expect(project.name).to.equal("scale-tiers");
        expect(project.runtime.name).to.equal("nodejs");
    });

    it("declares project keys in the shape the CLI's project schema accepts", () => {
        for (const [key, declaration] of Object.entries(project.config)) {
            if (key.includes(":")) {
                // Keys of other namespaces may not carry a type; a plain value is the only form.
                expect(typeOf(declaration), key).to.be.oneOf(["string", "integer", "boolean"]);
                continue;
            }
            const declared = declaration as Record<string, unknown>;
            expect(Object.keys(declared), key).to.satisfy((keys: string[]) =>
                keys.every((k) => ["type", "items", "description", "default", "secret"].includes(k)),
            );
            expect(SIMPLE_TYPES, key).to.include(declared.type);
            expect("items" in declared, `${key}: items exactly when type is array`).to.equal(declared.type === "array");
            expect(typeOf(declared.default), `${key} default`).to.equal(declared.type);
            expect(declared.description, key).to.be.a("string");
        }
    });

    it("declares exactly the scalar keys the program requires, defaulting aws:region to ap-northeast-2", () => {
        expect(projectDefaults()["aws:region"]).to.equal("ap-northeast-2");
        const declared = Object.keys(project.config).filter((key) => !key.includes(":"));
        for (const key of declared) {
            const values = stackConfig("tier30k");
            delete values[`scale-tiers:${key}`];
            let error: unknown;
            try {
                parseStackConfig({ project: "scale-tiers", stack: "tier30k", values });
            } catch (e) {
                error = e;
            }
            expect(error, `removing ${key}`).to.be.instanceOf(ConfigError);
            expect((error as ConfigError).problems.map((p) => p.key)).to.deep.equal([`scale-tiers:${key}`]);
        }
    });
});

describe("stack files", () => {
    for (const stack of STACKS) {
        it(`Pulumi.${stack}.yaml keeps the VPC layout shared by all tiers`, () => {
            const values = (parseYaml(read(`Pulumi.${stack}.yaml`)) as { config: Record<string, unknown> }).config;
            expect(values).not.to.have.any.keys("scale-tiers:vpcCidr", "scale-tiers:availabilityZones");
            for (const key of Object.keys(values)) {
                expect(key).to.match(/^(scale-tiers|aws):/);
            }
        });
    }
});

describe("docs/configuration.md", () => {
    const docs = read("docs/configuration.md");

    it("documents every key and field the program reads", () => {
        const certificateArn =
            "arn:aws:acm:ap-northeast-2:123456789012:certificate/12345678-1234-1234-1234-123456789012";
        const values = { ...stackConfig("tier150k"), "scale-tiers:loadBalancer": JSON.stringify({ certificateArn }) };
        const config = parseStackConfig({ project: "scale-tiers", stack: "tier150k", values });
        const tier1m = parseStackConfig({ project: "scale-tiers", stack: "tier1m", values: stackConfig("tier1m") });
        const tier1mQueue = tier1m.sqs.queues[0];
        const leaves = (prefix: string, value: unknown): string[] =>
            value !== null && typeof value === "object" && !Array.isArray(value)
                ? Object.entries(value).flatMap(([k, v]) => leaves(prefix ? `${prefix}.${k}` : k, v))
                : [prefix];
        const documented = [
            ...Object.keys(config.network),
            ...leaves("loadBalancer", config.loadBalancer),
            ...leaves("web", config.web),
            ...leaves("database", config.database),
            ...leaves("memcached", config.memcached),
            ...leaves("rabbitmq", config.rabbitmq),
            ...leaves("elasticache", config.elasticache),
            "sqs.enabled",
            ...Object.keys(tier1mQueue).map((field) => `sqs.queues[].${field}`),
            ...leaves("monitoring", config.monitoring),
            ...leaves("logging", config.logging),
            ...leaves("migration", config.migration),
            ...leaves("jenkins", config.jenkins),
            ...leaves("collaboration", { ...config.collaboration, certificateArn: "set" }),
            "aws:region",
        ];
        for (const key of documented) {
            expect(docs, key).to.contain(`\`${key}\``);
        }
    });
});
