export function ProgressBar({ percent, label, state }: { percent: number; label: string; state?: string }) {
  const value = Math.max(0, Math.min(100, Math.round(percent)));
  return (
    <div className={`progress progress-${state ?? 'active'}`} role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={value}>
      <div className="progress-fill" style={{ width: `${value}%` }} />
    </div>
  );
}
