import { tuneWasmTiering } from './wasm-tiering';

describe('tuneWasmTiering', () => {
  it('sets the budget on the Node versions whose V8 knows the flag', () => {
    expect(tuneWasmTiering('queries', 'v20.19.0')).toBe(true);
    expect(tuneWasmTiering('bookkeeping', 'v24.1.0')).toBe(true);
  });

  it('leaves other versions alone rather than have V8 complain on stderr', () => {
    expect(tuneWasmTiering('bookkeeping', 'v18.20.0')).toBe(false);
    expect(tuneWasmTiering('bookkeeping', 'v26.0.0')).toBe(false);
  });
});
