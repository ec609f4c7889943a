// Horizontal bar charts as SVG (no dependency): one bar per series, the median, with the min–max range.
const escape = (text) => String(text).replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char]);

export function barChart({ title, unit, rows }) {
  const width = 760;
  const labelWidth = 250;
  const barArea = width - labelWidth - 120;
  const rowHeight = 34;
  const height = 50 + rows.length * rowHeight + 10;
  const max = Math.max(...rows.map((row) => row.max));
  const x = (value) => labelWidth + (value / max) * barArea;
  const bars = rows
    .map((row, index) => {
      const y = 45 + index * rowHeight;
      return [
        `<text x="${labelWidth - 10}" y="${y + 16}" text-anchor="end">${escape(row.label)}</text>`,
        `<rect x="${labelWidth}" y="${y + 4}" width="${x(row.median) - labelWidth}" height="18" fill="#2b5fad"/>`,
        `<line x1="${x(row.min)}" x2="${x(row.max)}" y1="${y + 13}" y2="${y + 13}" stroke="#1c2430" stroke-width="1.5"/>`,
        `<text x="${x(row.max) + 8}" y="${y + 17}">${escape(Math.round(row.median).toLocaleString('en-US'))}</text>`,
      ].join('');
    })
    .join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif" font-size="13">
<rect width="${width}" height="${height}" fill="#fff"/>
<text x="10" y="22" font-weight="bold">${escape(title)}</text><text x="${width - 10}" y="22" text-anchor="end" fill="#56607a">${escape(unit)} (median; line: min–max)</text>
${bars}
</svg>
`;
}
