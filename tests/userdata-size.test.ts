import { expect } from "chai";
import { USER_DATA_LIMIT_BYTES } from "../components/userdata/render";
import { encodedUserData, loaderOf } from "../plan/boot-scripts";
import { STACKS, recordStack } from "./harness";

/**
 * EC2 refuses user data above 16 KiB, and a server's user data is fixed when
 * it is created. User data is only the loader (components/userdata/loader.sh);
 * the scripts, which grow with every fix, are S3 objects it fetches. The
 * loader has a budget of its own, an eighth of the limit, so that growing it
 * is a decision, not a drift.
 */
const LOADER_BUDGET_BYTES = 2 * 1024;

/** The loader with its three values blanked: the same text for every server. */
function loaderShape(loader: string): string {
    return loader.replace(/^readonly (BOOT_BUCKET|BOOT_KEY|BOOT_SHA256)='[^']*'$/gm, "readonly $1=''");
}

describe("user data size", () => {
    for (const stack of STACKS) {
        it(`${stack}: every server's user data is the same small loader, gzipped within ${LOADER_BUDGET_BYTES} bytes (EC2 takes ${USER_DATA_LIMIT_BYTES})`, async () => {
            const recording = await recordStack(stack);
            const servers = recording.resources.filter((resource) => encodedUserData(resource) !== undefined);
            expect(servers.map((server) => server.name)).to.include.members(
                stack === "tier1m" ? ["web-launch-template", "logs-logstash"] : ["web-0", "db-primary"],
            );
            for (const server of servers) {
                const bytes = Buffer.from(encodedUserData(server)!, "base64").length;
                expect(bytes, `${stack} ${server.name}`).to.be.at.most(LOADER_BUDGET_BYTES);
            }
            expect(new Set(servers.map((server) => loaderShape(loaderOf(server)))).size).to.equal(1);
        });
    }
});
