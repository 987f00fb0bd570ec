import { describe, expect, it } from 'vitest';
import { ResponseStore, type StoredResponse } from '../../../runtime/http/responses/store.js';

const entry = (text: string): StoredResponse => ({
  response: { id: text },
  conversation: [{ role: 'user', content: text }],
});
const bytesOf = (stored: StoredResponse) => Buffer.byteLength(JSON.stringify(stored));

describe('the response store: least recently used out, bounded by count and bytes', () => {
  it('keeps at most maxResponses, evicting the least recently used', () => {
    const store = new ResponseStore({ maxResponses: 2, maxBytes: 1e6 });
    store.put('a', entry('a'));
    store.put('b', entry('b'));
    expect(store.get('a')).toEqual(entry('a')); // a is now more recent than b
    store.put('c', entry('c'));
    expect(store.get('b')).toBeUndefined();
    expect(store.get('a')).toEqual(entry('a'));
    expect(store.get('c')).toEqual(entry('c'));
    expect(store.size).toBe(2);
  });

  it('keeps at most maxBytes, counted as JSON in UTF-8', () => {
    const one = bytesOf(entry('ü'.repeat(100)));
    const store = new ResponseStore({ maxResponses: 100, maxBytes: 2 * one });
    store.put('a', entry('ü'.repeat(100)));
    store.put('b', entry('é'.repeat(100)));
    expect(store.bytes).toBe(2 * one);
    store.put('c', entry('ö'.repeat(100)));
    expect(store.get('a')).toBeUndefined();
    expect(store.size).toBe(2);
    expect(store.bytes).toBe(2 * one);
  });

  it('refuses a response larger than the whole store, keeping the others', () => {
    const store = new ResponseStore({ maxResponses: 10, maxBytes: 200 });
    store.put('a', entry('a'));
    expect(store.put('big', entry('x'.repeat(500)))).toBe(false);
    expect(store.get('big')).toBeUndefined();
    expect(store.get('a')).toEqual(entry('a'));
  });

  it('delete frees the bytes; storing an id again replaces it', () => {
    const store = new ResponseStore({ maxResponses: 10, maxBytes: 1e6 });
    store.put('a', entry('a'));
    store.put('a', entry('aa'));
    expect(store.size).toBe(1);
    expect(store.bytes).toBe(bytesOf(entry('aa')));
    expect(store.delete('a')).toBe(true);
    expect(store.delete('a')).toBe(false);
    expect(store.bytes).toBe(0);
  });
});
