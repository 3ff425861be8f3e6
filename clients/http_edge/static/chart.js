// Vigil's chart: history from the UDF datafeed, live bars by server-sent events, signals and fills as markers,
// and the account's position as a price line at its average price. Everything comes from this edge process.
// The chart objects are on window.vigilChart so tests (and curious users) can read what is drawn.

const params = new URLSearchParams(location.search);
const symbol = params.get("symbol") || "NQ1!";
const resolution = params.get("resolution") || "1";
const account = params.get("account") || "";
const HISTORY_BARS = 1000;
const REFRESH_MS = 5000;
const statusLine = document.getElementById("status");

document.getElementById("symbol").value = symbol;
document.getElementById("resolution").value = resolution;
document.getElementById("account").value = account;

function setStatus(text, failed = false) {
  statusLine.textContent = text;
  statusLine.classList.toggle("error", failed);
}

async function getJson(path, query) {
  const response = await fetch(`${path}?${new URLSearchParams(query)}`);
  const body = await response.json();
  if (!response.ok || (body && body.s === "error")) {
    throw new Error(body && body.errmsg ? body.errmsg : `${path}: HTTP ${response.status}`);
  }
  return body;
}

// Intraday bars are shown in exchange time; daily bars are stamped 00:00 UTC of their trade date.
const daily = resolution.toUpperCase().endsWith("D");
const zone = daily ? "UTC" : "America/Chicago";
const timeText = new Intl.DateTimeFormat("en-GB", {
  timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
  ...(daily ? {} : { hour: "2-digit", minute: "2-digit" }),
});
const tickText = new Intl.DateTimeFormat("en-GB", {
  timeZone: zone, ...(daily ? { month: "short", day: "numeric" } : { hour: "2-digit", minute: "2-digit" }),
});

function markerOf(mark) {
  const up = mark.label === "B" || mark.label === "U";
  return {
    id: String(mark.id),
    time: mark.time,
    position: up ? "belowBar" : "aboveBar",
    shape: mark.label === "U" || mark.label === "D" ? (up ? "arrowUp" : "arrowDown") : "circle",
    color: typeof mark.color === "string" ? mark.color : mark.color.background,
    text: mark.label,
  };
}

async function main() {
  if (!window.LightweightCharts) {
    setStatus("lightweight-charts is missing: run `make chart-assets` and reload", true);
    return;
  }
  const { createChart, CandlestickSeries, createSeriesMarkers } = window.LightweightCharts;
  const container = document.getElementById("chart");
  const chart = createChart(container, {
    autoSize: true,
    layout: { background: { color: "#131722" }, textColor: "#d1d4dc" },
    grid: { vertLines: { color: "#1e222d" }, horzLines: { color: "#1e222d" } },
    timeScale: { timeVisible: !daily, secondsVisible: false, tickMarkFormatter: (t) => tickText.format(t * 1000) },
    localization: { timeFormatter: (t) => `${timeText.format(t * 1000)} ${daily ? "" : "CT"}` },
  });
  const candles = chart.addSeries(CandlestickSeries, {
    upColor: "#26a69a", downColor: "#ef5350", borderVisible: false,
    wickUpColor: "#26a69a", wickDownColor: "#ef5350",
  });
  const markers = createSeriesMarkers(candles, []);
  const state = { symbol, resolution, account, bars: 0, live: false, positions: [], priceLines: [], errors: [] };
  window.vigilChart = { chart, candles, markers, state };

  const nowSeconds = Math.floor(Date.now() / 1000) + 86400;
  const history = await getJson("/udf/history", { symbol, resolution, to: nowSeconds, countback: HISTORY_BARS });
  if (history.s === "ok") {
    const bars = history.t.map((time, i) => ({
      time, open: history.o[i], high: history.h[i], low: history.l[i], close: history.c[i],
    }));
    candles.setData(bars);
    state.bars = bars.length;
  }
  document.title = `${symbol} ${resolution} · Vigil`;
  setStatus(`${symbol} ${resolution}: ${state.bars} bars`);

  async function refreshMarks() {
    const data = candles.data();
    if (!data.length) return;
    const query = { symbol, resolution, from: data[0].time, to: data[data.length - 1].time + 86400 };
    if (account) query.account = account;
    const marks = await getJson("/udf/marks", query);
    markers.setMarkers(marks.map(markerOf));
    state.marks = marks.length;
  }

  async function refreshPositions() {
    const query = { symbol };
    if (account) query.account = account;
    const positions = await getJson("/chart/api/positions", query);
    for (const line of state.priceLines) candles.removePriceLine(line);
    state.priceLines = positions.map((p) => candles.createPriceLine({
      price: p.average_price,
      color: p.quantity > 0 ? "#26a69a" : "#ef5350",
      lineWidth: 1,
      lineStyle: 2,
      axisLabelVisible: true,
      title: `${p.quantity > 0 ? "long" : "short"} ${Math.abs(p.quantity)} @ ${p.average_price_text}`,
    }));
    state.positions = positions;
  }

  async function refresh() {
    try {
      await Promise.all([refreshMarks(), refreshPositions()]);
      state.refreshed = (state.refreshed || 0) + 1;
    } catch (error) {
      state.errors.push(String(error));
      setStatus(String(error.message || error), true);
    }
  }

  const events = new EventSource(`/chart/api/candles?${new URLSearchParams({ symbol, resolution })}`);
  events.onmessage = (event) => {
    const bar = JSON.parse(event.data);
    const last = candles.data().at(-1);
    if (last && bar.time < last.time) return; // an older bar than shown: history already has it
    candles.update({ time: bar.time, open: bar.open, high: bar.high, low: bar.low, close: bar.close });
    state.live = true;
    state.updates = (state.updates || 0) + 1;
    state.bars = candles.data().length;
    setStatus(`${symbol} ${resolution}: ${state.bars} bars, live ${bar.close}`);
  };
  events.addEventListener("failure", (event) => {
    state.live = false;
    setStatus(`${symbol}: not live (${JSON.parse(event.data).errmsg})`, true);
    events.close();
  });

  await refresh();
  setInterval(refresh, REFRESH_MS);
}

main().catch((error) => {
  setStatus(String(error.message || error), true);
  window.vigilChartError = String(error);
});
