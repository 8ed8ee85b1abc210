import { expect } from "chai";
import { USER_DATA_LIMIT_BYTES } from "../components/userdata/render";
import { STACKS, recordStack } from "./harness";

/**
 * EC2 refuses user data above 16 KiB; the scripts grow with every fix, and a
 * server's user data is fixed when it is created. A quarter of the limit is
 * kept free so that the next change is a warning here, not a refused launch.
 */
const HEADROOM_BUDGET_BYTES = 12 * 1024;

describe("user data size", () => {
    for (const stack of STACKS) {
        it(`${stack}: every server's user data, gzipped, fits a ${HEADROOM_BUDGET_BYTES}-byte budget (EC2 takes ${USER_DATA_LIMIT_BYTES})`, async () => {
            const recording = await recordStack(stack);
            const sizes = recording.resources.flatMap((resource) => {
                const encoded = resource.inputs.userDataBase64 ?? resource.inputs.userData;
                return typeof encoded === "string" && !encoded.startsWith("#!")
                    ? [{ name: resource.name, bytes: Buffer.from(encoded, "base64").length }]
                    : [];
            });
            expect(sizes.length, "servers with user data").to.be.greaterThan(0);
            for (const { name, bytes } of sizes) {
                expect(bytes, `${stack} ${name}`).to.be.at.most(HEADROOM_BUDGET_BYTES);
            }
        });
    }
});
