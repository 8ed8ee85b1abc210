/**
 * `npm run prices -- --refresh`, offline: GetProducts answers recorded in the
 * API's shape (tests/fixtures/pricing/: PriceList entries are JSON strings
 * holding product.attributes and terms.OnDemand...pricePerUnit.USD) refresh
 * the figures they answer, with the API as their checked source; a figure
 * answered ambiguously or not at all keeps its value and source and is reported.
 */
import * as fs from "fs";
import * as path from "path";
import { expect } from "chai";
import { GetProductsCommandInput } from "@aws-sdk/client-pricing";
import { PROJECT_ROOT } from "../plan/evaluate";
import { PRICES, PriceTable, sourceOf } from "../plan/prices";
import {
    GetProducts,
    productsRequest,
    queriesFor,
    refreshTable,
    tableSource,
    typesInUse,
} from "../plan/refresh-prices";
import { STACKS, recordStack } from "./harness";

interface Fixture {
    request: { ServiceCode: string; Filters: unknown[] };
    pages: { PriceList: string[]; NextToken?: string }[];
}

const FIXTURES = path.join(PROJECT_ROOT, "tests", "fixtures", "pricing");
const fixtures: Fixture[] = fs
    .readdirSync(FIXTURES)
    .map((file) => JSON.parse(fs.readFileSync(path.join(FIXTURES, file), "utf8")) as Fixture);

/** The same request whatever the order of its filters. */
const requestKey = (request: { ServiceCode?: string; Filters?: unknown[] }) =>
    JSON.stringify([request.ServiceCode, (request.Filters ?? []).map((f) => JSON.stringify(f)).sort()]);

/** GetProducts answered from the fixtures, page by NextToken; what no fixture answers has no products. */
function recordedApi(): { getProducts: GetProducts; requests: GetProductsCommandInput[] } {
    const requests: GetProductsCommandInput[] = [];
    const getProducts: GetProducts = (request) => {
        requests.push(request);
        const fixture = fixtures.find((f) => requestKey(f.request) === requestKey(request));
        if (!fixture) {
            return Promise.resolve({ PriceList: [] });
        }
        const page =
            request.NextToken === undefined
                ? 0
                : fixture.pages.findIndex((_, i) => fixture.pages[i - 1]?.NextToken === request.NextToken);
        return Promise.resolve(fixture.pages[page]);
    };
    return { getProducts, requests };
}

const SEOUL: PriceTable = { ...PRICES, regions: { "ap-northeast-2": PRICES.regions["ap-northeast-2"] } };
const IN_USE = {
    ec2Hourly: ["t3.medium", "t3.xlarge"],
    rdsMysqlHourly: [],
    elasticacheNodeHourly: [],
    opensearchHourly: [],
    dmsHourly: [],
};
const DATE = "2026-11-28";

describe("refreshing the price table from the Price List API", () => {
    let refreshed: Awaited<ReturnType<typeof refreshTable>>;
    let requests: GetProductsCommandInput[];

    before(async () => {
        const api = recordedApi();
        refreshed = await refreshTable(SEOUL, IN_USE, api.getProducts, DATE);
        requests = api.requests;
    });

    const figure = (path: string) => {
        const [map, ...key] = path.split(".");
        const value = (refreshed.table.regions["ap-northeast-2"] as unknown as Record<string, unknown>)[map];
        return key.length ? (value as Record<string, number>)[key.join(".")] : value;
    };
    const source = (path: string) => sourceOf(refreshed.table, "ap-northeast-2", path);

    it("asks for the type in use the table lacks, in one region, over every page", () => {
        expect(figure("ec2Hourly.t3.xlarge")).to.equal(0.208);
        const asked = requests.filter((r) => JSON.stringify(r.Filters).includes('"t3.xlarge"'));
        expect(asked.map((r) => r.NextToken)).to.deep.equal([undefined, "page-2"]);
        expect(asked[0].Filters).to.deep.include({ Type: "TERM_MATCH", Field: "regionCode", Value: "ap-northeast-2" });
        expect(asked[0].ServiceCode).to.equal("AmazonEC2");
    });

    it("takes the answered figures with the API as their checked, dated source", () => {
        expect(figure("ec2Hourly.t3.medium")).to.equal(0.052);
        expect(source("ec2Hourly.t3.medium")).to.include({ checked: true, date: DATE });
        expect(source("ec2Hourly.t3.medium")!.what).to.match(/Price List Query API/);
        expect(refreshed.report.changed).to.deep.include({
            region: "ap-northeast-2",
            path: "ec2Hourly.t3.xlarge",
            from: undefined,
            to: 0.208,
        });
    });

    it("reads a tiered price at its first paid tier, per the table's unit", () => {
        // 0.0000004 per request after the free million: 0.40 per million
        expect(figure("sqsPerMillionRequests")).to.equal(0.4);
    });

    it("keeps only the product whose usage type ends as asked", () => {
        // The answer also holds APN2-EBS:SnapshotUsageUnderBilling at 0.0125.
        expect(figure("snapshotGbMonth")).to.equal(0.05);
        expect(source("snapshotGbMonth")!.date).to.equal(DATE);
    });

    it("keeps, and reports, a figure answered with several prices or not at all", () => {
        expect(figure("gp3.gbMonth")).to.equal(PRICES.regions["ap-northeast-2"].gp3.gbMonth);
        expect(source("gp3.gbMonth")).to.deep.equal(sourceOf(PRICES, "ap-northeast-2", "gp3.gbMonth"));
        expect(refreshed.report.kept.find((k) => k.path === "gp3.gbMonth")!.problem).to.match(/2 different prices/);
        expect(refreshed.report.kept.find((k) => k.path === "albHourly")!.problem).to.match(/no on-demand product/);
        expect(source("albHourly")).to.deep.equal(sourceOf(PRICES, "ap-northeast-2", "albHourly"));
    });

    it("asks data transfer by the region it leaves", () => {
        const query = queriesFor("eu-west-1", undefined, IN_USE).find((q) => q.path === "dataTransferOutPerGb")!;
        expect(productsRequest(query).Filters).to.deep.include({
            Type: "TERM_MATCH",
            Field: "fromRegionCode",
            Value: "eu-west-1",
        });
    });
});

describe("the price table's file", () => {
    it("is what the refresh writes for it (generated, never hand-formatted apart)", async () => {
        const file = fs.readFileSync(path.join(PROJECT_ROOT, "domain", "price-table.ts"), "utf8");
        expect(await tableSource(PRICES)).to.equal(file);
    });

    it("covers every type and class the shipped stacks use, in every region", async () => {
        const inUse = typesInUse(await Promise.all(STACKS.map(recordStack)));
        expect(inUse.rdsMysqlHourly).to.include("db.r7g.2xlarge");
        expect(inUse.opensearchHourly).to.include.members(["r7g.xlarge.search", "m7g.large.search"]);
        for (const [region, prices] of Object.entries(PRICES.regions)) {
            for (const [map, types] of Object.entries(inUse)) {
                const table = prices[map as keyof typeof inUse];
                expect(
                    types.filter((t) => table[t] === undefined),
                    `${map} in ${region}`,
                ).to.deep.equal([]);
            }
        }
    });
});
