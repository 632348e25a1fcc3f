// runtime.getURL without WXT's generated path types (the root tsconfig does not include .wxt/).
import { browser } from 'wxt/browser';

export function extensionUrl(path: string): string {
  return (browser.runtime as unknown as { getURL(p: string): string }).getURL(path);
}
