/** What a config decides about its estate, checked on the parsed config alone: no program, no mocks. */
import { expect } from "chai";
import { StackConfig } from "../domain/stack-config";
import {
    databaseNames,
    enabledTools,
    hasCache,
    hasCollaboration,
    hasMessaging,
    runsDms,
    selfManagedServers,
    toolsDomain,
    toolsScheme,
} from "../stacks/decisions";
import {
    PROMOTED_TO_1M,
    configPatched,
    configWith,
    promotedTo1m,
    stackConfig,
    tier150kOperated,
    tier1mAt,
} from "./harness";
import { parseStackConfig } from "../stacks/config";
import { ConfigMap } from "./harness";

function parsed(values: ConfigMap, stack = "tier30k"): StackConfig {
    return parseStackConfig({ project: "scale-tiers", stack, values });
}

describe("decisions", () => {
    const tier30k = parsed(stackConfig("tier30k"));
    const tier150k = parsed(stackConfig("tier150k"), "tier150k");
    const tier1m = parsed(stackConfig("tier1m"), "tier1m");

    it("runs self-managed MySQL until the migration retires it, and none in an estate built on RDS", () => {
        expect(selfManagedServers(tier30k)).to.equal("running");
        expect(selfManagedServers(parsed(tier1mAt("cutover"), "tier1m"))).to.equal("running");
        expect(selfManagedServers(parsed(promotedTo1m(), "tier1m"))).to.equal("retired");
        expect(selfManagedServers(tier1m)).to.equal("none");
        expect(databaseNames(tier1m)).to.deep.include({ target: "rds" });
        expect(databaseNames(tier30k)).to.deep.include({ target: "ec2", type: "A" });
    });

    it("builds the cache, the broker and the tools only where the tier has them", () => {
        expect([hasCache(tier30k), hasMessaging(tier30k), hasCollaboration(tier30k)]).to.deep.equal([
            false,
            false,
            false,
        ]);
        expect([hasCache(tier150k), hasMessaging(tier150k), hasCollaboration(tier150k)]).to.deep.equal([
            true,
            true,
            true,
        ]);
        expect(enabledTools(tier150k)).to.deep.equal(["jira", "wiki", "cms"]);
    });

    it("keeps the broker component for a retired RabbitMQ, whose volumes stay", () => {
        const retired = configPatched(PROMOTED_TO_1M, "scale-tiers:rabbitmq", {
            enabled: false,
            draining: false,
            retired: true,
        });
        expect(
            hasMessaging(parsed({ ...retired, "scale-tiers:sqs": JSON.stringify({ enabled: false }) }, "tier1m")),
        ).to.equal(true);
    });

    it("runs DMS while data moves, towards RDS only", () => {
        expect(runsDms(parsed(tier1mAt("replicating"), "tier1m"))).to.equal(true);
        expect(runsDms(parsed(tier1mAt("cutover"), "tier1m"))).to.equal(true);
        expect(runsDms(parsed(tier1mAt("none"), "tier1m"))).to.equal(false);
        expect(runsDms(parsed(promotedTo1m(), "tier1m"))).to.equal(false);
        expect(runsDms(tier1m)).to.equal(false);
    });

    it("serves the tools over HTTPS with a domain or their own certificate, over HTTP only in a demo", () => {
        expect(toolsScheme(tier150k)).to.equal("https");
        expect(toolsDomain(tier150k)).to.equal("scale-tiers.example");
        const subdomain = parsed(
            configPatched("tier150k", "scale-tiers:domain", { toolsSubdomain: "tools" }),
            "tier150k",
        );
        expect(toolsDomain(subdomain)).to.equal("tools.scale-tiers.example");
        const ownCertificates = parsed(tier150kOperated(), "tier150k");
        expect(toolsScheme(ownCertificates)).to.equal("https");
        expect(toolsDomain(ownCertificates)).to.equal("scale-tiers.internal");
        const demo = parsed(
            configWith("tier150k", { "scale-tiers:plainHttpDemo": "true" }, ["scale-tiers:domain"]),
            "tier150k",
        );
        expect(toolsScheme(demo)).to.equal("http");
        expect(toolsDomain(demo)).to.equal("scale-tiers.internal");
    });
});
