import { expect } from "chai";
import { overlappingSubnets, planSubnets } from "../components/network";
import { contains, mustParseCidr } from "../domain/cidr";

const AZS = ["ap-northeast-2a", "ap-northeast-2b", "ap-northeast-2c"];

describe("subnet plan", () => {
    it("lays out a /16 over three AZs", () => {
        expect(planSubnets("10.40.0.0/16", AZS)).to.deep.equal([
            {
                availabilityZone: "ap-northeast-2a",
                private: "10.40.0.0/19",
                public: "10.40.32.0/22",
                isolated: "10.40.36.0/22",
            },
            {
                availabilityZone: "ap-northeast-2b",
                private: "10.40.64.0/19",
                public: "10.40.96.0/22",
                isolated: "10.40.100.0/22",
            },
            {
                availabilityZone: "ap-northeast-2c",
                private: "10.40.128.0/19",
                public: "10.40.160.0/22",
                isolated: "10.40.164.0/22",
            },
        ]);
    });

    it("keeps every subnet inside the VPC and apart from the others, for every allowed size", () => {
        for (const vpcCidr of ["10.40.0.0/16", "172.20.0.0/18", "192.168.16.0/20"]) {
            const plan = planSubnets(vpcCidr, [...AZS, "ap-northeast-2d"]);
            expect(overlappingSubnets(plan), vpcCidr).to.deep.equal([]);
            for (const az of plan) {
                for (const block of [az.public, az.private, az.isolated]) {
                    expect(contains(mustParseCidr(vpcCidr), mustParseCidr(block)), block).to.equal(true);
                }
            }
        }
    });

    it("gives the first AZs the same subnets whatever the AZ count", () => {
        const two = planSubnets("10.40.0.0/16", AZS.slice(0, 2));
        expect(planSubnets("10.40.0.0/16", AZS).slice(0, 2)).to.deep.equal(two);
    });

    it("refuses more AZs than the layout has slots", () => {
        expect(() => planSubnets("10.40.0.0/16", ["a", "b", "c", "d", "e"])).to.throw(/1 to 4 AZs/);
    });

    it("reports overlapping subnets", () => {
        const plan = [
            { availabilityZone: "x", public: "10.0.0.0/24", private: "10.0.0.0/23", isolated: "10.0.4.0/24" },
        ];
        expect(overlappingSubnets(plan)).to.deep.equal([["10.0.0.0/24", "10.0.0.0/23"]]);
    });
});
