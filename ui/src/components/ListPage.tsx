// One page shape for the filtered list views (pipeline runs, change requests): a heading with select filters
// kept in the URL's query, then the loading, error or empty state, or the items in a DataTable.
import type { ReactNode } from 'react';
import { useLocation, useSearch } from 'wouter';
import { itemsOf } from '../api.ts';
import type { Loaded } from '../hooks.ts';
import { DataTable, type Column } from './DataTable.tsx';
import { Empty, ErrorState, Loading } from './States.tsx';

export interface UrlFilters<K extends string> {
  /** Each filter's value from the URL ('' when absent). */
  values: Record<K, string>;
  /** `?k=v&…` of the set filters in the order they were named, '' when none is set. */
  query: string;
  /** Navigates to the page's path with one filter changed ('' clears it). */
  set(name: K, value: string): void;
}

/** Filters kept in the query of `path` (so a filtered list can be linked and survives a reload). */
export function useUrlFilters<K extends string>(path: string, names: readonly K[]): UrlFilters<K> {
  const search = useSearch();
  const [, navigate] = useLocation();
  const sp = new URLSearchParams(search);
  const values = Object.fromEntries(names.map((n) => [n, sp.get(n) ?? ''])) as Record<K, string>;
  const query = (v: Record<K, string>) => {
    const q = new URLSearchParams();
    for (const n of names) if (v[n]) q.set(n, v[n]);
    const t = q.toString();
    return t ? `?${t}` : '';
  };
  return {
    values,
    query: query(values),
    set: (name, value) => navigate(`${path}${query({ ...values, [name]: value })}`),
  };
}

export interface ListFilter {
  id: string;
  label: string;
  value: string;
  /** The choices after 'any' (the empty value, always first). */
  options: string[];
  onChange: (value: string) => void;
}

export function ListPage<T>({
  title,
  titleId,
  filters,
  list,
  what,
  empty,
  caption,
  testId,
  rowKey,
  columns,
}: {
  title: string;
  titleId: string;
  filters: ListFilter[];
  /** The loaded list (an array or an object with `items`). */
  list: Loaded<unknown>;
  /** What the list holds, for the loading and error states ("pipeline runs"). */
  what: string;
  /** The text of the empty state. */
  empty: ReactNode;
  caption: string;
  testId: string;
  rowKey: (row: T, index: number) => string;
  columns: Column<T>[];
}) {
  const items = itemsOf<T>(list.data);
  return (
    <section aria-labelledby={titleId}>
      <div className="view-head">
        <h1 id={titleId}>{title}</h1>
        <div className="filters">
          {filters.map((f) => (
            <div className="field" key={f.id}>
              <label htmlFor={f.id}>{f.label}</label>
              <select id={f.id} value={f.value} onChange={(e) => f.onChange(e.target.value)}>
                {['', ...f.options].map((o) => (
                  <option key={o} value={o}>
                    {o || 'any'}
                  </option>
                ))}
              </select>
            </div>
          ))}
        </div>
      </div>
      {list.error ? (
        <ErrorState error={list.error} retry={list.reload} what={what} />
      ) : !list.data ? (
        <Loading what={what} />
      ) : items.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <DataTable caption={caption} testId={testId} rows={items} rowKey={rowKey} columns={columns} />
      )}
    </section>
  );
}
