/**
 * The replacement tables cover every resource type the program registers, and
 * name only inputs the Pulumi SDK of each type has.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { REPLACEMENT_INPUTS, STATEFUL_REPLACEMENT_INPUTS, hasReplacementEntry } from "../plan/replacement";
import { Recording, STACKS, evaluate, promotedTo1m, reached, recordStack, tier150kOperated, tier1mAt } from "./harness";

/** Types a provider owns (not this program's own components). */
function providerTypes(recordings: readonly Recording[]): string[] {
    const types = recordings.flatMap((r) => r.resources.map((resource) => resource.type));
    return [...new Set(types)].filter((type) => !type.startsWith("scale-tiers:")).sort();
}

/**
 * The input names of a type's `<Name>Args` in its Pulumi SDK's declarations
 * (`aws:ec2/instance:Instance` -> @pulumi/aws/ec2/instance.d.ts).
 */
function sdkInputs(type: string): string[] {
    const [pkg, module, name] = type.split(":");
    const file = module.includes("/") ? module.split("/")[1] : name.charAt(0).toLowerCase() + name.slice(1);
    const dir = module.includes("/") ? module.split("/")[0] : module;
    const root = path.dirname(require.resolve(`@pulumi/${pkg}/package.json`));
    const text = fs.readFileSync(path.join(root, dir === "index" ? "" : dir, `${file}.d.ts`), "utf8");
    const start = text.indexOf(`export interface ${name}Args {`);
    expect(start, `${name}Args in @pulumi/${pkg}`).to.be.at.least(0);
    const body = text.slice(start, text.indexOf("\n}", start));
    return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((m) => m[1]);
}

describe("replacement tables", () => {
    let recordings: Recording[];
    before(async () => {
        recordings = [
            ...(await Promise.all(STACKS.map((stack) => recordStack(stack)))),
            ...(await Promise.all(
                (["none", "replicating", "cutover", "rollback"] as const).map((phase) =>
                    evaluate("tier1m", reached(tier1mAt(phase))),
                ),
            )),
            await evaluate("tier1m", reached(promotedTo1m())),
            await evaluate("tier150k", { config: tier150kOperated() }),
        ];
    });

    it("say for every resource type the program registers which inputs replace it", () => {
        const types = providerTypes(recordings);
        expect(types).to.include.members(["aws:dms/replicationTask:ReplicationTask", "aws:route53/record:Record"]);
        const missing = types.filter((type) => !hasReplacementEntry(type));
        expect(
            missing,
            `no entry in plan/replacement.ts for ${missing.join(", ")}: list the inputs that force a replacement ` +
                "(ForceNew/RequiresReplace in the provider's schema), or [] when there are none",
        ).to.deep.equal([]);
    });

    it("list a type as stateful or stateless, not both", () => {
        const both = Object.keys(STATEFUL_REPLACEMENT_INPUTS).filter((type) => type in REPLACEMENT_INPUTS);
        expect(both).to.deep.equal([]);
    });

    it("name only inputs the type's SDK declares, and `region` for every regional AWS type", () => {
        for (const [type, keys] of Object.entries({ ...STATEFUL_REPLACEMENT_INPUTS, ...REPLACEMENT_INPUTS })) {
            if (type.startsWith("pulumi-nodejs:")) {
                expect(keys, type).to.deep.equal([]);
                continue;
            }
            const inputs = sdkInputs(type);
            const unknown = keys.filter((key) => !inputs.includes(key.split(".")[0]));
            expect(unknown, `${type}: not inputs of its SDK`).to.deep.equal([]);
            if (type.startsWith("aws:")) {
                expect(keys.includes("region"), `${type}: region`).to.equal(inputs.includes("region"));
            }
        }
    });
});
