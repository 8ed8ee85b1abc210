/**
 * The price table the plan's cost estimate uses: domain/price-table.ts's
 * figures, shaped as domain/prices.ts says, where the program's budget reads
 * them too. `npm run prices -- --refresh` rewrites them from the AWS Price
 * List Query API (plan/refresh-prices.ts).
 */
export { PRICES } from "../domain/price-table";
export { PriceSource, PriceTable, RegionPrices, pricePaths, sourceOf } from "../domain/prices";
