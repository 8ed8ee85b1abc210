import { expect } from "chai";
import { architectureOf, instanceTypeProblem, isBurstable, memoryGiB } from "../domain/instance-types";
import { al2023AmiParameter } from "../components/shared/ec2";

describe("instance types", () => {
    it("accepts current-generation types", () => {
        for (const type of ["t3.small", "t4g.micro", "m7i.large", "r7g.16xlarge", "c7i-flex.2xlarge", "m6i.metal"]) {
            expect(instanceTypeProblem(type), type).to.equal(undefined);
        }
    });

    it("rejects what EC2 would reject, saying why", () => {
        expect(instanceTypeProblem("t3")).to.match(/<family>.<size>/);
        expect(instanceTypeProblem("m9.large")).to.match(/unknown or previous-generation family "m9"/);
        expect(instanceTypeProblem("t2.micro")).to.match(/family "t2"/);
        expect(instanceTypeProblem("t3.mircro")).to.match(/unknown size "mircro"/);
        expect(instanceTypeProblem("t3.4xlarge")).to.match(/unknown size "4xlarge": t3 comes in nano, .*, 2xlarge$/);
        expect(instanceTypeProblem("m7i.large.extra")).to.match(/<family>.<size>/);
    });

    it("knows each family's own sizes, not a pattern of sizes some family has", () => {
        const table: [string, boolean][] = [
            ["c5.9xlarge", true],
            ["c7i.9xlarge", false],
            ["c7i.48xlarge", true],
            ["c7i.metal-24xl", true],
            ["m7i.32xlarge", false],
            ["m6i.32xlarge", true],
            ["m6i.48xlarge", false],
            ["m6a.48xlarge", true],
            ["m7g.medium", true],
            ["m7g.24xlarge", false],
            ["m8g.24xlarge", true],
            ["m7i.medium", false],
            ["r7iz.metal-16xl", true],
            ["c6gn.metal", false],
        ];
        for (const [type, exists] of table) {
            expect(instanceTypeProblem(type) === undefined, type).to.equal(exists);
        }
    });

    it("maps types to the AMI architecture", () => {
        expect(architectureOf("t3.small")).to.equal("x86_64");
        expect(architectureOf("r7g.large")).to.equal("arm64");
        expect(al2023AmiParameter("arm64")).to.equal(
            "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
        );
        expect(() => architectureOf("z9.large")).to.throw(/unvalidated/);
    });

    it("knows the burstable families", () => {
        expect(isBurstable("t4g.small")).to.equal(true);
        expect(isBurstable("m7i.large")).to.equal(false);
    });
});

describe("instance memory", () => {
    it("follows the family's memory per vCPU", () => {
        expect(memoryGiB("t3.medium")).to.equal(4);
        expect(memoryGiB("t4g.2xlarge")).to.equal(32);
        expect(memoryGiB("r7i.large")).to.equal(16);
        expect(memoryGiB("m7g.xlarge")).to.equal(16);
        expect(memoryGiB("c7i-flex.2xlarge")).to.equal(16);
        expect(memoryGiB("r7i.24xlarge")).to.equal(768);
    });

    it("does not guess for families it cannot derive", () => {
        expect(memoryGiB("i4i.large")).to.equal(undefined);
        expect(memoryGiB("m6i.metal")).to.equal(undefined);
    });
});
