import { expect } from "chai";
import { vpcAndAdminPeers } from "../components/shared/rules";

describe("security-group rule peers", () => {
    const descriptions = { vpc: "from the VPC", admin: "from an admin network" };

    it("names each rule by its block, the VPC's as vpc", () => {
        expect(vpcAndAdminPeers("10.40.0.0/16", ["10.8.0.0/16"], descriptions)).to.deep.equal([
            { cidr: "10.40.0.0/16", ruleName: "vpc", description: "from the VPC", formerPosition: 0 },
            { cidr: "10.8.0.0/16", ruleName: "10.8.0.0-16", description: "from an admin network", formerPosition: 1 },
        ]);
    });

    it("keeps a block's rule name when another block leaves the list", () => {
        const before = vpcAndAdminPeers("10.40.0.0/16", ["10.8.0.0/16", "172.20.0.0/16"], descriptions);
        const after = vpcAndAdminPeers("10.40.0.0/16", ["172.20.0.0/16"], descriptions);
        expect(after.map((p) => p.ruleName)).to.deep.equal(["vpc", "172.20.0.0-16"]);
        expect(before.map((p) => p.ruleName)).to.include.members(after.map((p) => p.ruleName));
    });
});
