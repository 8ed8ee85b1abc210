/**
 * The project file stays acceptable to the Pulumi CLI, and the config
 * reference and declarations are the schema's.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { configurationDoc, projectFile } from "../plan/config-docs";
import { taggableTypesModule } from "../plan/taggable-types";
import { PROJECT_ROOT, STACKS, projectDefaults } from "./harness";

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

    it("declares exactly what the config schema declares (npm run docs)", () => {
        expect(read("Pulumi.yaml")).to.equal(projectFile(read("Pulumi.yaml")));
        expect(projectDefaults()["aws:region"]).to.equal("ap-northeast-2");
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
    it("is what npm run docs generates from the config schema", async () => {
        const file = path.join(PROJECT_ROOT, "docs/configuration.md");
        expect(read("docs/configuration.md")).to.equal(await configurationDoc(read("docs/configuration.md"), file));
    });
});

describe("domain/taggable-types.ts", () => {
    it("is what npm run docs generates from the installed provider SDKs", () => {
        expect(read("domain/taggable-types.ts")).to.equal(taggableTypesModule());
    });
});
