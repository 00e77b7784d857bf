export function Json({ value }: { value: unknown }) {
  return <pre className="json">{value === undefined ? '—' : JSON.stringify(value, null, 2)}</pre>;
}
