import { expect } from "chai";
import { contains, formatCidr, mustParseCidr, overlaps, parseCidr, subBlock } from "../domain/cidr";

describe("cidr", () => {
    it("parses and formats a block", () => {
        const cidr = mustParseCidr("10.40.0.0/16");
        expect(cidr).to.deep.equal({ base: 10 * 2 ** 24 + 40 * 2 ** 16, prefix: 16 });
        expect(formatCidr(cidr)).to.equal("10.40.0.0/16");
        expect(formatCidr(mustParseCidr("255.255.255.255/32"))).to.equal("255.255.255.255/32");
    });

    it("explains what is wrong with a bad block", () => {
        expect(parseCidr("10.40.0.0")).to.match(/not an IPv4 CIDR/);
        expect(parseCidr("10.400.0.0/16")).to.match(/octet above 255/);
        expect(parseCidr("10.40.0.0/33")).to.match(/prefix length above 32/);
        expect(parseCidr("10.40.1.0/16")).to.match(/host bits set; the network address is 10.40.0.0\/16/);
    });

    it("detects overlap and containment", () => {
        const vpc = mustParseCidr("10.40.0.0/16");
        expect(overlaps(vpc, mustParseCidr("10.40.255.0/24"))).to.equal(true);
        expect(overlaps(vpc, mustParseCidr("10.41.0.0/16"))).to.equal(false);
        expect(overlaps(mustParseCidr("10.0.0.0/8"), vpc)).to.equal(true);
        expect(contains(vpc, mustParseCidr("10.40.128.0/17"))).to.equal(true);
        expect(contains(mustParseCidr("10.40.128.0/17"), vpc)).to.equal(false);
    });

    it("cuts sub-blocks and refuses ones that do not fit", () => {
        const vpc = mustParseCidr("10.40.0.0/16");
        expect(formatCidr(subBlock(vpc, 18, 3))).to.equal("10.40.192.0/18");
        expect(() => subBlock(vpc, 18, 4)).to.throw(/outside 10.40.0.0\/16/);
        expect(() => subBlock(vpc, 15, 0)).to.throw(/does not fit/);
    });
});
