/** Loads the price book: the built-in table, merged with the JSON overrides file when configured. */
import fs from 'node:fs';
import { buildPriceBook, parsePriceOverrides, type PriceBook } from '../domain/pricing';

export function loadPriceBook(overridesFile: string | undefined): PriceBook {
  if (!overridesFile) return buildPriceBook();
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(overridesFile, 'utf8'));
  } catch (error) {
    throw new Error(`TESSERA_PRICING_FILE ${overridesFile}: ${(error as Error).message}`);
  }
  try {
    return buildPriceBook(parsePriceOverrides(json));
  } catch (error) {
    throw new Error(`TESSERA_PRICING_FILE ${overridesFile}: ${(error as Error).message}`);
  }
}
