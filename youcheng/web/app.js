/* youcheng web page: explore the registry through /api (no build step, works offline).
 *
 * State lives in the URL (?q=&country=&province=&level=&from=&to=&place=&view=&lang=&page=)
 * so any view can be shared. One change of a filter reloads the map, the list and the
 * charts together, each from a bounded request: the map from /api/lines (relationships
 * aggregated by place pair, or by province and country when the pairs are too many,
 * heaviest first, with the totals of what is left out), the list one page of
 * /api/partnerships at a time, the charts from /api/stats. The map is drawn on the
 * shipped world-atlas shapes, Pacific-centred, and says how much of the total it shows.
 */
"use strict";
(function () {
  const I18N = {
    zh: {
      tagline: "中华人民共和国友好城市关系登记册", search_label: "搜索地名", search_ph: "搜索地名：武汉、Wuhan、東京…",
      nav_explore: "浏览", nav_quality: "数据质量", nav_api: "API", lang_button: "English",
      f_country: "外方国家", f_province: "中方省份", f_level: "中方级别", f_from: "起始年份", f_to: "截止年份",
      f_tier: "关系类别", tier_sister: "友好城市", tier_exchange: "友好交流城市", tier_intent: "意向书、备忘录",
      tier_domestic: "国内友城", tier_all: "全部类别", f_status: "关系状态",
      f_reset: "清除筛选", f_any: "全部", f_text: "文字：{0}",
      count: "{0} 对友城关系", count_of: "{0} 对友城关系（共 {1}）",
      level_province: "省级", level_prefecture: "地级", level_county: "县级", level_district: "市辖区",
      legend_cn: "中方", legend_partner: "外方", legend_selected: "选中",
      map_place: "显示 {1} 对地点中关系最多的 {0} 对（{3} 对友城关系中的 {2} 对）。",
      map_place_all: "画出全部 {0} 对地点（{2} 对友城关系中的 {1} 对）。",
      map_region: "按中方省份与外方国家汇总：显示 {1} 条连线中的 {0} 条（{3} 对友城关系中的 {2} 对）；筛选或点击连线可看到具体城市。",
      map_unplaced: "{0} 对关系缺少坐标（或地点），无法画出。",
      map_none: "暂无坐标：{0} 对关系均无法在地图上定位（列表、搜索和图表照常可用）。",
      map_selected: "已选中 {0}：{1} 对关系，其中 {2} 对画在地图上。",
      line_since: "{0} 对关系 · 最早 {1} 年", line_count: "{0} 对关系", line_drill: "点击查看具体城市",
      chart_years: "每年缔结数量", chart_countries: "主要外方国家", chart_provinces: "各省份数量",
      unknown_year: "日期不详：{0}",
      list_title: "友城关系列表", download: "下载：", page: "第 {0}/{1} 页",
      col_cn: "中方城市", col_partner: "外方城市", col_country: "国家", col_province: "省份", col_date: "日期",
      col_note: "备注", col_source: "来源（文件:行）", col_name: "名称", col_side: "所属", col_resolution: "解析方式",
      col_count: "关系数", col_severity: "级别", col_kind: "类型", col_message: "说明",
      place_partners: "友城", place_id: "编号", place_code: "行政区划代码", place_level: "级别",
      place_province: "省份", place_country: "国家", place_coords: "坐标", place_geonames: "GeoNames",
      place_subdivision: "ISO 3166-2", place_resolution: "解析方式", place_link: "维基条目",
      place_cn: "中国地方", place_foreign: "外国地方", place_count: "{0} 对友城关系", place_more: "下表列出前 {0} 对（全部：用上方的下载，或 api/partnerships?place=…）", no_coords: "无坐标，无法在小地图上显示。",
      side_cn: "中国", side_foreign: "外国", only_country: "（只给出国家）",
      q_title: "数据质量", q_summary: "{0} 对关系，{1} 个地方，{2} 个国家；{3} 条异常；{4} 个地方缺少坐标。",
      q_unplaced: "未能定位的地名", q_unplaced_help: "这些地方没有坐标，地图无法画出；解析方式一栏说明名称解析到了哪一步。",
      q_anomalies: "构建时的异常（无法读取或只部分读取的行）",
      q_more: "显示前 {0} 条，共 {1} 条（完整报告：api/anomalies 或 youcheng check）。",
      footer: "数据：中文维基百科“中华人民共和国友好城市列表”及各城市条目、英文维基百科友好城市列表，CC BY-SA（来源见 api/sources）。", footer_vendor: "第三方组件及许可",
      error: "出错了：{0}", no_suggestions: "没有匹配的地名",
      place_showing: "正在显示 {0}：列表、图表和下载都只含这个地方的关系。", place_back: "× 返回全部",
      kind_city: "城市", kind_region: "一级行政区", kind_district: "城区",
      res_gbt2260: "行政区划代码（GB/T 2260）", res_gazetteer: "地名词典（GeoNames）", res_subdivision: "一级行政区（ISO 3166-2）",
      res_curated: "人工核定", res_parent: "归入上级地方", res_unresolved: "未能解析",
      origin_written: "来源原文", origin_converted: "繁简转换（OpenCC）", origin_romanised: "拼音（pypinyin）",
      origin_gazetteer: "地名词典", origin_official: "标准名称（GB/T 2260）", origin_english_cn: "英文名（GB/T 2260 或拼音）",
      origin_other: "别名（来源未记录）",
      origin_help: "名称后注明来源：来源原文、繁简转换、拼音或地名词典。",
      sev_error: "错误", sev_warning: "警告", sev_info: "提示",
      kind_ambiguous_cn_place: "中方地名有歧义", kind_country_conflict: "国家不一致", kind_damaged_line: "行已损坏",
      kind_duplicate_pair: "重复的关系", kind_extra_cells: "多余的单元格", kind_invalid_date: "不可能的日期",
      kind_nested_table: "嵌套表格", kind_no_partner: "没有外方", kind_no_partner_named: "外方未写名称",
      kind_no_partner_place: "外方不是地方", kind_placeholder: "占位内容", kind_skipped_row: "跳过的行",
      kind_spelling_variants: "同一地方的不同写法", kind_unclosed_table: "表格未闭合", kind_unknown_country: "无法识别的国家",
      kind_unknown_header: "无法识别的表头", kind_unlinked_text: "链接外的文字", kind_unread_line: "未读取的行",
      kind_unreadable_date: "无法读取的日期", kind_unresolved_cn_place: "无法确定的中方地方",
      kind_unresolved_partner: "无法确定的外方地方",
      cov_title: "数据覆盖范围", cov_summary: "登记册共有 {0} 对关系（全部类别），来自 {1} 个来源文件：{2}。",
      cov_missing: "某地没有出现在这里，只说明这些来源没有记载，并不表示它没有友好城市。",
      cov_sources: "来源", cov_files: "全部来源文件（文件名、出处）", cov_provinces: "各省份关系数（全部类别）",
      col_format: "格式", col_files: "文件数", col_relationships: "关系数", col_snapshot: "快照年份", col_licence: "许可",
      fmt_wikimd: "中文维基百科全国列表", "fmt_wikimd-city": "中文维基百科城市条目（Markdown）",
      fmt_wikitext: "中文维基百科城市条目", "fmt_enwiki-csv": "英文维基百科友好城市列表",
      no_hit: "没有地名包含“{0}”。", no_hit_cover: "登记册收录 {0} 对关系，来自 {1}；没有记载不等于没有友城。",
      see_coverage: "查看覆盖范围", list_empty: "没有符合条件的关系。", footer_coverage: "覆盖范围",
      unknown: "不详", close: "关闭", clear: "清除",
      list_other_kinds: "这个地方的 {0} 对关系都不属于所选类别。", show_all_kinds: "显示全部类别",
    },
    en: {
      tagline: "A registry of the PRC's sister-city relationships", search_label: "Search places",
      search_ph: "Search places: 武汉, Wuhan, Tokyo…",
      nav_explore: "Explore", nav_quality: "Data quality", nav_api: "API", lang_button: "中文",
      f_country: "Partner country", f_province: "Chinese province", f_level: "Chinese level", f_from: "From year",
      f_tier: "Kind", tier_sister: "Sister cities", tier_exchange: "Exchange cities", tier_intent: "Letters of intent",
      tier_domestic: "Domestic", tier_all: "All kinds", f_status: "Status",
      f_to: "To year", f_reset: "Clear filters", f_any: "All", f_text: "Text: {0}",
      count: "{0} partnerships", count_of: "{0} partnerships (of {1})",
      level_province: "Province", level_prefecture: "Prefecture", level_county: "County", level_district: "District",
      legend_cn: "Chinese side", legend_partner: "partner", legend_selected: "selected",
      map_place: "Showing the {0} heaviest of {1} place pairs ({2} of {3} partnerships).",
      map_place_all: "All {0} place pairs drawn ({1} of {2} partnerships).",
      map_region: "Grouped by Chinese province and partner country: showing {0} of {1} lines ({2} of {3} partnerships); filter or click a line to see the places.",
      map_unplaced: "{0} partnerships cannot be drawn (no coordinates or no place).",
      map_none: "No coordinates yet: none of the {0} partnerships can be placed on the map (list, search and charts work).",
      map_selected: "Selected {0}: {1} partnerships, {2} drawn on the map.",
      line_since: "{0} partnerships · since {1}", line_count: "{0} partnerships", line_drill: "click to see the places",
      chart_years: "Partnerships signed per year", chart_countries: "Top partner countries",
      chart_provinces: "Partnerships per province", unknown_year: "date unknown: {0}",
      list_title: "Partnerships", download: "Download:", page: "page {0}/{1}",
      col_cn: "Chinese place", col_partner: "Partner", col_country: "Country", col_province: "Province",
      col_date: "Date", col_note: "Note", col_source: "Source (file:line)", col_name: "Name", col_side: "Side",
      col_resolution: "Resolution", col_count: "Partnerships", col_severity: "Severity", col_kind: "Kind",
      col_message: "Message",
      place_partners: "Partners", place_id: "Id", place_code: "GB/T 2260 code", place_level: "Level",
      place_province: "Province", place_country: "Country", place_coords: "Coordinates", place_geonames: "GeoNames",
      place_subdivision: "ISO 3166-2", place_resolution: "Resolution", place_link: "Wiki page",
      place_cn: "Chinese place", place_foreign: "Foreign place", place_count: "{0} partnerships", place_more: "The table lists the first {0} (all of them: the downloads above, or api/partnerships?place=…)",
      no_coords: "No coordinates: cannot be shown on the mini map.",
      side_cn: "China", side_foreign: "Foreign", only_country: "(country only)",
      q_title: "Data quality", q_summary: "{0} partnerships, {1} places, {2} countries; {3} anomalies; {4} places without coordinates.",
      q_unplaced: "Names that could not be placed",
      q_unplaced_help: "These places have no coordinates, so the map cannot draw them; the resolution column tells how far name resolution got.",
      q_anomalies: "Build anomalies (rows that could not be read, or only partly)",
      q_more: "Showing the first {0} of {1} (the full report: api/anomalies, or youcheng check).",
      footer: "Data: zh-Wikipedia's list of the PRC's sister cities and its city articles, and en-Wikipedia's twin-town lists, CC BY-SA (sources: api/sources).", footer_vendor: "Third-party components and licences",
      error: "Something went wrong: {0}", no_suggestions: "No place matches",
      place_showing: "Showing {0}: the list, the charts and the downloads hold only its partnerships.", place_back: "× Back to all",
      kind_city: "City", kind_region: "Region (state, province)", kind_district: "District",
      res_gbt2260: "GB/T 2260 code table", res_gazetteer: "gazetteer (GeoNames)", res_subdivision: "subdivision (ISO 3166-2)",
      res_curated: "curated", res_parent: "counted under its parent place", res_unresolved: "unresolved",
      origin_written: "as written in the source", origin_converted: "converted (OpenCC)", origin_romanised: "romanised (pypinyin)",
      origin_gazetteer: "gazetteer", origin_official: "official name (GB/T 2260)", origin_english_cn: "English name (GB/T 2260 or pinyin)",
      origin_other: "other name (origin not recorded)",
      origin_help: "Each name says where it comes from: the source's own text, a conversion, a romanisation or a gazetteer.",
      sev_error: "error", sev_warning: "warning", sev_info: "note",
      kind_ambiguous_cn_place: "ambiguous Chinese place", kind_country_conflict: "countries disagree", kind_damaged_line: "damaged line",
      kind_duplicate_pair: "listed twice", kind_extra_cells: "extra cells", kind_invalid_date: "impossible date",
      kind_nested_table: "nested table", kind_no_partner: "no partner", kind_no_partner_named: "partner not named",
      kind_no_partner_place: "partner is not a place", kind_placeholder: "placeholder", kind_skipped_row: "skipped row",
      kind_spelling_variants: "one place, several spellings", kind_unclosed_table: "unclosed table", kind_unknown_country: "unknown country",
      kind_unknown_header: "unknown header", kind_unlinked_text: "text beside the links", kind_unread_line: "line not read",
      kind_unreadable_date: "unreadable date", kind_unresolved_cn_place: "Chinese place not identified",
      kind_unresolved_partner: "partner not identified",
      cov_title: "What the registry covers", cov_summary: "The registry holds {0} relationships (every kind) from {1} source files: {2}.",
      cov_missing: "A place missing here is missing from these sources: that does not mean it has no sister cities.",
      cov_sources: "Sources", cov_files: "Every source file (name, origin)", cov_provinces: "Relationships per province (every kind)",
      col_format: "Format", col_files: "Files", col_relationships: "Relationships", col_snapshot: "Snapshot", col_licence: "Licence",
      fmt_wikimd: "zh-Wikipedia's national list", "fmt_wikimd-city": "zh-Wikipedia city articles (Markdown)",
      fmt_wikitext: "zh-Wikipedia city articles", "fmt_enwiki-csv": "en-Wikipedia's twin-town lists",
      no_hit: "No place name contains “{0}”.", no_hit_cover: "The registry holds {0} relationships from {1}; a place it does not list may still have sister cities.",
      see_coverage: "What it covers", list_empty: "No relationship matches.", footer_coverage: "Coverage",
      unknown: "unknown", close: "close", clear: "clear",
      list_other_kinds: "None of this place's {0} relationships is of the chosen kind.", show_all_kinds: "Show every kind",
    },
  };
  const FILTERS = ["q", "country", "province", "level", "from", "to", "tier", "status"];
  // The page shows sister cities unless another kind is chosen (the API's statistics default too).
  const TIERS = ["sister", "exchange", "intent", "domestic", "all"], DEFAULT_TIER = "sister";
  const LEVELS = ["province", "prefecture", "county", "district"];
  const STATUSES = ["active", "suspended", "ended"];  // a relationship's (data/relationship_status.csv)
  const ORIGINS = ["written", "converted", "romanised", "gazetteer"];  // where a name comes from (the API's words)
  const FORMATS = [["csv", "CSV"], ["jsonl", "JSONL"], ["geojson", "GeoJSON"], ["graphml", "GraphML"],
                   ["datapackage", "Data Package"]];
  // QUALITY_ROWS: a million-row build has 100,000 anomalies; a table that long only freezes the tab.
  // MAP_LINES at world zoom; HOT_LINES for the selected place, the API's most (LINE_LIMIT).
  const PAGE_SIZE = 50, MAP_LINES = 3000, HOT_LINES = 5000, QUALITY_ROWS = 1000, CUT = -25;
  const FONT = getComputedStyle(document.documentElement).getPropertyValue("--font").trim() || "sans-serif";
  const $ = (sel) => document.querySelector(sel);

  const state = { view: "map", place: "", page: 0, lang: "zh", q: "", country: "", province: "", level: "", from: "", to: "", tier: "", status: "" };
  // lines: /api/lines for the filters; hot: the same for the selected place; rows: one page of the list.
  let lines = null, hot = null, rows = [], total = 0, stats = null, overall = null, overallP = null;
  let selected = null, quality = null, worldReady = false, worldP = null, listSeq = 0, hotSeq = 0;
  let loadSeq = 0, suggestSeq = 0, activeSuggestion = -1, suggestions = [];
  // reveal: scroll to the place once it has loaded (opened by a click or a shared URL, not a redraw).
  let reveal = false, coverage = null, coverageP = null;
  const charts = {};

  // ---------- helpers ----------
  function t(key, ...args) {
    const s = (I18N[state.lang] && I18N[state.lang][key]) || I18N.en[key] || key;
    return args.reduce((acc, a, i) => acc.split(`{${i}}`).join(String(a)), s);
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v; else if (k.startsWith("data-") || k === "type" || k === "href" ||
          k === "title" || k === "download" || k === "role" || k === "translate" || k === "lang") node.setAttribute(k, v);
      else node[k] = v;
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c instanceof Node ? c : String(c));
    return node;
  }
  const num = (n) => Number(n).toLocaleString(state.lang === "zh" ? "zh-CN" : "en-US");
  let regionNames = {};
  function countryName(code, fallback) {
    if (!code) return fallback || "";
    try {
      regionNames[state.lang] = regionNames[state.lang] ||
        new Intl.DisplayNames([state.lang === "zh" ? "zh-Hans" : "en"], { type: "region" });
      return regionNames[state.lang].of(code) || fallback || code;
    } catch (e) { return fallback || code; }
  }
  // A code word from the data (a level, a resolution method, an anomaly kind) in the page's language;
  // a code the page does not know yet is shown as it is, marked as data.
  function label(prefix, code) {
    if (!code) return "";
    const key = prefix + code;
    return I18N[state.lang][key] !== undefined ? t(key) : data(code);
  }
  // A value from the registry (a name as written, a file, a note): never translated, and marked
  // translate="no" so that browsers' translators and the English-mode test leave it alone.
  const data = (text, tag) => el(tag || "span", { translate: "no" }, text == null ? "" : String(text));
  // Templates with a data value inside: "Showing {0}: …" with {0} a marked node.
  function tNodes(key, node, ...args) {
    const [before, after] = t(key, "\u0000", ...args).split("\u0000");
    return [before, node, after === undefined ? "" : after];
  }
  // English names of the provinces, from every /api/stats answer seen (rows carry name_en).
  const provinceEn = new Map();
  function learnProvinces(found) {
    for (const row of (found && found.province) || []) if (row.key && row.name_en) provinceEn.set(row.key, row.name_en);
  }
  function provinceName(name) {
    return state.lang === "en" && provinceEn.has(name) ? provinceEn.get(name) : name;
  }
  function provinceNode(name) {
    const shown = provinceName(name);
    return shown === name ? data(name) : shown;
  }
  function cnLabel(r) {
    const en = r.cn_name_en || "";
    return state.lang === "en" && en && en !== r.cn_name ? `${en} (${r.cn_name})` : r.cn_name;
  }
  function partnerLabel(r) {
    if (!r.partner_name) return t("only_country");
    const en = r.partner_name_en || "";
    return state.lang === "en" && en && en !== r.partner_name ? `${en} (${r.partner_name})` : r.partner_name;
  }
  const provinceOf = (r) => (r.cn_province ? provinceNode(r.cn_province) : data(r.province || r.section || ""));
  function levelLabel(level) { return level ? label("level_", level) : ""; }
  function showError(err) {
    const box = $("#error");
    box.textContent = t("error", err && err.message ? err.message : err);
    box.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(() => { box.hidden = true; }, 6000);
  }
  async function getJSON(url) {
    const response = await fetch(url);
    let body = null;
    try { body = await response.json(); } catch (e) { /* not JSON */ }
    if (!response.ok) throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
    return body;
  }
  function apiParams(withoutPlace) {
    // The open place narrows the list, the charts and the downloads; the map keeps the others as context.
    const p = new URLSearchParams();
    if (state.place && !withoutPlace) p.set("place", state.place);
    if (state.q) p.set("q", state.q);
    if (state.country) p.set("country", state.country);
    if (state.province) p.set("province", state.province);
    if (state.level) p.set("level", state.level);
    if (state.from) p.set("year_from", state.from);
    if (state.to) p.set("year_to", state.to);
    p.set("tier", TIERS.includes(state.tier) ? state.tier : DEFAULT_TIER);
    if (STATUSES.includes(state.status)) p.set("status", state.status);
    return p;
  }

  // ---------- URL state ----------
  function readUrl() {
    const p = new URLSearchParams(location.search);
    for (const k of [...FILTERS, "place"]) state[k] = p.get(k) || "";
    state.view = p.get("view") === "quality" ? "quality" : "map";
    state.page = Math.max(0, (parseInt(p.get("page") || "1", 10) || 1) - 1);
    const lang = p.get("lang") || localStorage.getItem("youcheng.lang") ||
      ((navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en");
    state.lang = lang === "en" ? "en" : "zh";
  }
  function writeUrl(push) {
    const p = new URLSearchParams();
    for (const k of FILTERS) if (state[k]) p.set(k, state[k]);
    if (state.place) p.set("place", state.place);
    if (state.view !== "map") p.set("view", state.view);
    if (state.page) p.set("page", String(state.page + 1));
    p.set("lang", state.lang);
    const url = "?" + p.toString();
    if (url !== location.search) history[push ? "pushState" : "replaceState"](null, "", url);
  }

  // ---------- i18n ----------
  function applyLanguage() {
    document.documentElement.lang = state.lang === "zh" ? "zh-Hans" : "en";
    document.querySelectorAll("[data-i18n]").forEach((node) => { node.textContent = t(node.dataset.i18n); });
    $("#search").placeholder = t("search_ph");
    $("#lang").textContent = t("lang_button");
    $("#place-close").setAttribute("aria-label", t("close"));
    $("#f-text button").setAttribute("aria-label", t("clear"));
    localStorage.setItem("youcheng.lang", state.lang);
  }

  // ---------- filters ----------
  function fillFilterOptions() {
    const fill = (select, options) => {
      const keep = select.value;
      select.replaceChildren(el("option", { value: "" }, t("f_any")),
        ...options.map(([value, label]) => el("option", { value }, label)));
      select.value = keep;
    };
    const countries = overall.country.filter((s) => s.key)
      .map((s) => [s.key, `${countryName(s.key, s.label)} (${s.count})`])
      .sort((a, b) => a[1].localeCompare(b[1], state.lang === "zh" ? "zh-Hans-u-co-pinyin" : "en"));
    fill($("#f-country"), countries);
    fill($("#f-province"), overall.province.filter((s) => s.key).map((s) => [s.key, `${provinceName(s.key)} (${s.count})`]));
    const levels = new Set(overall.level.map((s) => s.key));
    const tier = $("#f-tier"), keepTier = tier.value;
    tier.replaceChildren(...TIERS.map((k) => el("option", { value: k }, t("tier_" + k))));
    tier.value = keepTier || DEFAULT_TIER;
    fill($("#f-status"), STATUSES.map((s) => [s, t("status_" + s)]));
    fill($("#f-level"), LEVELS.filter((l) => levels.has(l) || !overall.level.length).map((l) => [l, levelLabel(l)]));
    const years = overall.year.filter((s) => s.key).map((s) => Number(s.key));
    if (years.length) {
      for (const id of ["#f-from", "#f-to"]) {
        $(id).min = Math.min(...years); $(id).max = Math.max(...years);
      }
      $("#f-from").placeholder = Math.min(...years); $("#f-to").placeholder = Math.max(...years);
    }
  }
  function showFilters() {
    $("#f-country").value = state.country.toUpperCase();
    $("#f-province").value = state.province;
    $("#f-level").value = state.level;
    $("#f-tier").value = TIERS.includes(state.tier) ? state.tier : DEFAULT_TIER;
    $("#f-status").value = STATUSES.includes(state.status) ? state.status : "";
    $("#f-from").value = state.from;
    $("#f-to").value = state.to;
    const chip = $("#f-text");
    chip.hidden = !state.q;
    chip.firstElementChild.textContent = t("f_text", state.q);
  }
  function setFilter(changes) {
    Object.assign(state, changes, { page: 0 });
    if (state.view !== "map") state.view = "map";
    writeUrl(false);
    render();
    loadData();
  }

  // ---------- data ----------
  const hasFilters = () => Boolean(state.place) || FILTERS.some((k) => state[k]);
  function mark(name) { try { performance.mark("youcheng:" + name); } catch (e) { /* no User Timing */ } }
  async function loadData() {
    const seq = ++loadSeq;
    $("#app").dataset.ready = "0";
    $("#map").dataset.drawn = "0";
    const params = apiParams();
    try {
      const lp = apiParams(true); lp.set("limit", String(MAP_LINES));
      const linesP = getJSON("api/lines?" + lp);
      const statsP = hasFilters() || !overallP ? getJSON("api/stats?" + params) : overallP;
      const hotP = loadHot();
      const mapDone = Promise.all([linesP, worldP, hotP]).then(([found]) => {
        if (seq !== loadSeq) return;
        lines = found;
        renderMap();
      });
      const listDone = loadList(seq);
      const chartsDone = statsP.then((found) => {
        if (seq !== loadSeq) return;
        stats = found; learnProvinces(found);
        renderCharts(stats);
      });
      await Promise.all([mapDone, listDone, chartsDone]);
      if (seq !== loadSeq) return;
      renderDownloads();
      $("#app").dataset.ready = "1";
      mark("ready");
    } catch (err) {
      if (seq === loadSeq) { showError(err); $("#app").dataset.ready = "1"; }
    }
  }
  async function loadList(seq) {
    // One page of the list at a time: the API counts the matches and returns 50 records.
    const mine = ++listSeq, params = apiParams();
    params.set("limit", String(PAGE_SIZE));
    params.set("offset", String(state.page * PAGE_SIZE));
    const found = await getJSON("api/partnerships?" + params);
    if (mine !== listSeq || (seq !== undefined && seq !== loadSeq)) return;
    if (state.page && state.page * PAGE_SIZE >= found.total) {  // a shared URL past the last page
      state.page = Math.max(0, Math.ceil(found.total / PAGE_SIZE) - 1); writeUrl(false);
      return loadList(seq);
    }
    rows = found.items; total = found.total;
    renderCount(); renderList();
  }
  async function loadHot() {
    // The selected place's own lines under the filters, drawn on top of the others.
    const mine = ++hotSeq;
    if (!state.place) { hot = null; return; }
    const params = apiParams();
    params.set("group", "place"); params.set("limit", String(HOT_LINES));
    const found = await getJSON("api/lines?" + params);
    if (mine === hotSeq) hot = found;
  }

  // ---------- count ----------
  function renderCount() {
    const all = overall ? overall.total : total;
    $("#count").textContent = total === all ? t("count", num(total)) : t("count_of", num(total), num(all));
    $("#count").dataset.total = String(total);
  }

  // ---------- map ----------
  const shift = (lon) => (lon < CUT ? lon + 360 : lon);
  function pacific(geojson) {
    // A ring cut at the antimeridian has points at both -180 and 180: unwrap it east of 180 first.
    const unwrap = (ring) => {
      const xs = ring.map((c) => c[0]);
      return Math.max(...xs) - Math.min(...xs) > 180 ? ring.map(([x, y]) => [x < 0 ? x + 360 : x, y]) : ring;
    };
    const ringMean = (ring) => ring.reduce((s, c) => s + c[0], 0) / ring.length;
    const polygon = (rings) => {
      rings = rings.map(unwrap);
      return ringMean(rings[0]) < CUT ? rings.map((r) => r.map(([x, y]) => [x + 360, y])) : rings;
    };
    geojson.features = geojson.features.filter((f) => f.id !== "010" && f.properties.name !== "Antarctica");
    for (const f of geojson.features) {
      const g = f.geometry;
      if (!g) continue;
      if (g.type === "Polygon") g.coordinates = polygon(g.coordinates);
      if (g.type === "MultiPolygon") g.coordinates = g.coordinates.map(polygon);
    }
    return geojson;
  }
  async function loadWorld() {
    const topo = await getJSON("static/vendor/countries-110m.json");
    echarts.registerMap("world", pacific(topojson.feature(topo, topo.objects.countries)));
    worldReady = true;
  }
  const hasPoint = (r, side) => typeof r[side + "_lat"] === "number" && typeof r[side + "_lon"] === "number";
  function geoBase(extra) {
    return Object.assign({
      map: "world", roam: true, silent: true, zoom: 1.15, center: [150, 22],
      itemStyle: { areaColor: "#e4ebf1", borderColor: "#b7c3cf", borderWidth: 0.5 },
      emphasis: { disabled: true }, select: { disabled: true },
    }, extra || {});
  }
  function lineEnds(l) {
    // Labels and ids of both ends: places at place grouping, province and country at region grouping.
    const region = !l.cn_id;
    const partner = region ? countryName(l.country, l.partner_name) : partnerLabel(l);
    return { region, cn: region ? provinceName(l.cn_province) : cnLabel(l), partner, cnKey: region ? "p:" + l.cn_province : l.cn_id,
             partnerKey: region ? "c:" + l.country : l.partner_id };
  }
  function mapOption() {
    const sel = state.place;
    const found = lines;  // renderMap draws only once they have arrived
    const heaviest = found.items.reduce((m, l) => Math.max(m, l.partnerships), 1);
    const width = (n) => 0.6 + 2.4 * Math.sqrt(n / heaviest);
    const places = new Map(), hotKeys = new Set();
    const item = (l, color) => {
      const ends = lineEnds(l);
      addPlace(places, ends.cnKey, ends.cn, "cn", l.cn_lon, l.cn_lat, l.partnerships, ends.region && l.cn_province);
      addPlace(places, ends.partnerKey, ends.partner, "foreign", l.partner_lon, l.partner_lat, l.partnerships,
               ends.region && l.country);
      return { coords: [[shift(l.cn_lon), l.cn_lat], [shift(l.partner_lon), l.partner_lat]], line: l,
               lineStyle: color ? { width: 1 + width(l.partnerships) } : { width: width(l.partnerships) } };
    };
    const drawn = found.items.map((l) => item(l));
    const hotItems = sel && hot ? hot.items.map((l) => {
      hotKeys.add(l.cn_id); hotKeys.add(l.partner_id);
      return item(l, true);
    }) : [];
    const points = [...places.values()].map((p) => ({
      name: p.name, id: p.id, side: p.side, count: p.count, filter: p.filter,
      value: [shift(p.lon), p.lat, p.count],
      itemStyle: { color: p.id === sel ? "#f59f00" : p.side === "cn" ? "#c0392b" : "#1f6feb",
                   opacity: sel && p.id !== sel && !hotKeys.has(p.id) ? 0.35 : 0.9 },
    }));
    const heaviestPlace = points.reduce((m, p) => Math.max(m, p.count), 1);
    const mapEl = $("#map");
    const highlighted = sel && hot ? hot.relationships : 0;
    Object.assign(mapEl.dataset, {
      group: found.group, lines: String(drawn.length), relationships: String(found.relationships),
      shown: String(found.shown_partnerships), leftOut: String(found.left_out_partnerships),
      unplaced: String(found.unplaced_partnerships), pairs: String(found.pairs),
      linesLeftOut: String(found.left_out_pairs),
      selected: sel, highlighted: String(highlighted), highlightedLines: String(hotItems.length) });
    const shownLines = num(drawn.length), allLines = num(drawn.length + found.left_out_pairs);
    const shown = num(found.shown_partnerships), all = num(found.relationships);
    let status;
    if (found.relationships && found.unplaced_partnerships === found.relationships) status = t("map_none", all);
    else {
      status = found.group === "place" && !found.left_out_pairs ? t("map_place_all", shownLines, shown, all)
        : t(found.group === "region" ? "map_region" : "map_place", shownLines, allLines, shown, all);
      if (found.unplaced_partnerships) status += " " + t("map_unplaced", num(found.unplaced_partnerships));
    }
    const picked = sel && selected ? tNodes("map_selected", data(selected.name), num(highlighted), num(hot ? hot.shown_partnerships : 0)) : [];
    $("#map-status").replaceChildren(status, ...(picked.length ? [" ", ...picked] : []));
    mapEl.setAttribute("aria-label", $("#map-status").textContent);
    return {
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", confine: true, formatter: mapTooltip },
      geo: geoBase(),
      series: [
        { id: "lines", type: "lines", coordinateSystem: "geo", data: drawn, silent: false, zlevel: 1,
          lineStyle: { color: "#c0392b", opacity: sel ? 0.07 : 0.35, curveness: 0.2 },
          emphasis: { lineStyle: { opacity: 0.9 } } },
        { id: "hot", type: "lines", coordinateSystem: "geo", data: hotItems, zlevel: 2,
          lineStyle: { color: "#f59f00", opacity: 0.95, curveness: 0.2 },
          effect: { show: hotItems.length > 0 && hotItems.length < 200, period: 5, trailLength: 0.1, symbolSize: 4, color: "#f59f00" } },
        { id: "places", type: "scatter", coordinateSystem: "geo", data: points, zlevel: 3,
          symbolSize: (v) => 3 + 13 * Math.sqrt(v[2] / heaviestPlace),
          emphasis: { scale: 1.6, label: { show: true, formatter: "{b}", position: "right" } } },
      ],
    };
  }
  function addPlace(places, id, name, side, lon, lat, count, filter) {
    if (!id) return;
    const p = places.get(id) || { id, name, side, lon, lat, count: 0, filter };
    p.count += count;
    places.set(id, p);
  }
  function esc(s) {
    return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  }
  function mapTooltip(p) {
    if (p.seriesType === "lines") {
      const l = p.data.line, ends = lineEnds(l);
      const count = l.first_year ? t("line_since", num(l.partnerships), l.first_year) : t("line_count", num(l.partnerships));
      return `${esc(ends.cn)} — ${esc(ends.partner)}<br>` +
        (ends.region ? "" : `${esc(countryName(l.country, ""))} · `) + esc(count) +
        (ends.region ? `<br><span class="muted">${esc(t("line_drill"))}</span>` : "");
    }
    if (p.seriesType === "scatter") return `${esc(p.data.name)}<br>${esc(t("place_count", num(p.data.count)))}`;
    return "";
  }
  function onMapClick(p) {
    // A place selects it; a province, a country or a province-country line narrows the filters.
    if (p.seriesType === "scatter" && p.data) {
      const d = p.data;
      if (!d.filter) selectPlace(d.id);
      else setFilter(d.side === "cn" ? { province: d.filter } : { country: d.filter });
    }
    if (p.seriesType === "lines" && p.data && p.data.line) {
      const l = p.data.line;
      if (l.cn_id) selectPlace(l.cn_id);
      else setFilter(Object.assign({ province: l.cn_province }, l.country ? { country: l.country } : {}));
    }
  }
  function renderMap() {
    if (!worldReady || !lines || state.view !== "map") return;  // drawn once the lines arrive
    charts.map = charts.map || echarts.init($("#map"));
    charts.map.setOption(mapOption(), { replaceMerge: ["series"] });
    if (lines && $("#map").dataset.drawn === "0") {
      // ECharts has painted this load's lines by the next frame: the "time to map" of bench_web.py.
      requestAnimationFrame(() => { if (lines) { $("#map").dataset.drawn = "1"; mark("map"); } });
    }
  }

  // ---------- place page ----------
  async function selectPlace(id, push) {
    // Opening a place narrows the list, the charts and the downloads to it (a history entry, so
    // the back button returns); closing it widens them again.
    state.place = id || ""; state.page = 0; reveal = Boolean(id);
    writeUrl(push !== false);
    if (state.view !== "map") state.view = "map";
    render();
    await Promise.all([loadData(), loadPlace(false)]);
  }
  async function loadPlace(withHot) {
    // withHot false: loadData, running at the same time, fetches the place's lines.
    const panel = $("#place");
    if (!state.place) {
      selected = null; hot = null; panel.hidden = true; $(".grid").classList.remove("with-place");
      renderBanner(); renderMap(); renderList(); resizeCharts();
      return;
    }
    try {
      [selected] = await Promise.all([getJSON("api/places/" + encodeURIComponent(state.place)),
                                      withHot === false ? null : loadHot()]);
    } catch (err) {
      showError(err); state.place = ""; writeUrl(false); selected = null; panel.hidden = true; renderBanner();
      return;
    }
    renderPlace();
    renderMap(); renderList(); resizeCharts();
    if (reveal) {
      reveal = false;
      // On a phone the panel comes first (CSS order) and is scrolled to; on a wide screen it sits
      // beside the map at the top.
      if (matchMedia("(max-width: 980px)").matches) $("#place-banner").scrollIntoView({ block: "start" });
      else window.scrollTo({ top: 0 });
    }
  }
  function placeTitle(p) {
    return p.name_en && p.name_en !== p.name ? `${p.name} · ${p.name_en}` : p.name;
  }
  function renderBanner() {
    const banner = $("#place-banner");
    banner.hidden = !state.place;
    if (!state.place) return;
    const name = selected && selected.id === state.place ? placeTitle(selected) : state.place;
    $("#place-banner-text").replaceChildren(...tNodes("place_showing", data(name, "strong")));
    banner.dataset.place = state.place;
  }
  function renderPlace() {
    const p = selected, panel = $("#place");
    if (!p) return;
    panel.hidden = false;
    $(".grid").classList.add("with-place");
    panel.dataset.id = p.id;
    renderBanner();
    $("#place-name").replaceChildren(data(placeTitle(p)));
    $("#place-sub").textContent = [p.side === "cn" ? t("place_cn") : t("place_foreign"),
      countryName(p.country, p.country), t("place_count", num(p.partnerships_total)),
      p.partnerships_total > p.partnerships.length ? t("place_more", num(p.partnerships.length)) : "",
    ].filter(Boolean).join(" · ");
    const kind = p.side === "cn" ? levelLabel(p.kind) : label("kind_", p.kind);
    const facts = [
      ["place_id", data(p.id)], ["place_code", p.code], ["place_level", kind],
      ["place_province", p.province ? provinceNode(p.province) : ""],
      ["place_country", p.country ? `${countryName(p.country)} (${p.country})` : ""],
      ["place_subdivision", p.subdivision], ["place_geonames", p.geonames_id],
      ["place_coords", p.lat != null && p.lon != null ? `${p.lat.toFixed(4)}, ${p.lon.toFixed(4)}` : ""],
      ["place_link", p.link ? data(p.link) : ""], ["place_resolution", label("res_", p.resolution)],
    ].filter(([, v]) => v !== null && v !== undefined && v !== "");
    $("#place-facts").replaceChildren(...facts.flatMap(([k, v]) => [el("dt", {}, t(k)),
      el("dd", {}, v instanceof Node ? v : String(v))]));
    $("#place-names").replaceChildren(...nameOrigins(p).map(([name, origin]) =>
      el("span", { "data-origin": origin }, el("span", { translate: "no", lang: /[\u3400-\u9fff]/.test(name) ? "zh" : null }, name),
        el("small", {}, t("origin_" + origin)))));
    $("#place-names").title = t("origin_help");
    const rows = p.partnerships.map((r) => {
      const other = r.cn_id === p.id ? { id: r.partner_id, label: partnerLabel(r) } : { id: r.cn_id, label: cnLabel(r) };
      const name = data(other.label);
      return el("tr", {},
        el("td", {}, other.id ? el("button", { class: "place-link", type: "button", "data-id": other.id }, name) : name),
        el("td", {}, countryName(r.country, r.country_text)),
        el("td", {}, r.date || ""),
        el("td", {}, data(r.note || "")),
        el("td", { class: "src", title: r.section, translate: "no" }, `${r.source}:${r.line}`));
    });
    $("#place-partners tbody").replaceChildren(...rows);
    renderMiniMap();
    loadRelationships(p.id);
  }
  // Where each of a place's names comes from. The API's own origin wins when it gives one: a
  // names[].origin field, or a kind that is an origin word (written, converted, romanised,
  // gazetteer) for every name, not "written" alone (older builds called every name they were
  // given "written", whoever derived it). Otherwise a name is "written" only when one of the
  // place's records spells it so, and the resolver's additions are named for what they are (its
  // simplified form, pinyin, English name).
  function nameOrigins(p) {
    const told = (n) => ORIGINS.includes(n.origin) ? n.origin : null;
    const byKind = p.names.length && p.names.every((n) => ORIGINS.includes(n.kind)) && p.names.some((n) => n.kind !== "written");
    const spelled = new Set();
    for (const r of p.partnerships) {
      const mine = r.cn_id === p.id ? [r.cn_name, r.cn_link] : [r.partner_name, r.partner_link, ...(r.partner_links || [])];
      for (const n of mine) if (n) spelled.add(n);
    }
    const english = p.side === "cn" ? "english_cn" : "gazetteer";
    const guess = (name, kind) => spelled.has(name) ? "written"
      : name === p.name_en || kind === "en" ? english
      : name === p.name_pinyin || kind === "pinyin" ? "romanised"
      : kind === "simplified" || name === p.name_simplified ? "converted"
      : kind === "official" ? "official" : "other";
    const origins = new Map();
    for (const n of p.names) {
      const origin = told(n) || (byKind ? n.kind : guess(n.name, n.kind));
      const known = origins.get(n.name);
      if (!known || known === "other") origins.set(n.name, origin);
    }
    for (const value of [p.name_simplified, p.name_pinyin, p.name_en]) {
      if (value && !origins.has(value)) origins.set(value, guess(value, ""));
    }
    return [...origins];
  }
  function renderMiniMap() {
    const p = selected, box = $("#minimap");
    if (!p || !worldReady) return;
    const pts = [];
    let lines = [];
    const here = p.lat != null && p.lon != null ? [shift(p.lon), p.lat] : null;
    for (const r of p.partnerships) {
      const side = r.cn_id === p.id ? "partner" : "cn";
      if (!hasPoint(r, side)) continue;
      const there = [shift(r[side + "_lon"]), r[side + "_lat"]];
      pts.push({ name: side === "cn" ? cnLabel(r) : partnerLabel(r), value: there });
      if (here) lines.push({ coords: [here, there] });
    }
    const all = pts.map((x) => x.value).concat(here ? [here] : []);
    $("#minimap-status").textContent = all.length ? "" : t("no_coords");
    box.hidden = !all.length;
    if (!all.length) return;
    const xs = all.map((c) => c[0]), ys = all.map((c) => c[1]);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2, cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const span = Math.max(Math.max(...xs) - Math.min(...xs), (Math.max(...ys) - Math.min(...ys)) * 2, 20);
    charts.mini = charts.mini || echarts.init(box);
    charts.mini.resize();
    charts.mini.setOption({
      textStyle: { fontFamily: FONT },
      tooltip: { trigger: "item", formatter: (x) => esc(x.name || "") },
      geo: geoBase({ roam: false, center: [cx, cy], zoom: Math.max(1, Math.min(12, 300 / span)) }),
      series: [
        { id: "l", type: "lines", coordinateSystem: "geo", data: lines, lineStyle: { color: "#f59f00", width: 1.5, opacity: 0.9, curveness: 0.2 } },
        { id: "p", type: "scatter", coordinateSystem: "geo", symbolSize: 7, itemStyle: { color: "#1f6feb" },
          data: pts.concat(here ? [{ name: p.name, value: here, itemStyle: { color: "#c0392b" }, symbolSize: 11 }] : []) },
      ],
    }, { notMerge: true });
  }

  // ---------- list ----------
  function renderList() {
    const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    const link = (id, name, sub) => el("td", {}, id ? el("button", { class: "place-link", type: "button", "data-id": id }, data(name)) : data(name),
      sub ? el("span", { class: "sub" }, sub) : null);
    const trs = rows.map((r) => el("tr", {
      class: state.place && (r.cn_id === state.place || r.partner_id === state.place) ? "hl" : "", "data-id": r.id },
      link(r.cn_id, cnLabel(r), r.cn_level ? levelLabel(r.cn_level) : ""),
      link(r.partner_id, partnerLabel(r), r.partner_name_en && state.lang === "zh" ? data(r.partner_name_en) : ""),
      el("td", {}, countryName(r.country, r.country_text)),
      el("td", {}, provinceOf(r)),
      el("td", {}, r.date || "", r.tier && r.tier !== "sister" ? el("span", { class: "sub" }, t("tier_" + r.tier)) : null),
      el("td", { class: "src", title: r.section, translate: "no" }, `${r.source}:${r.line}`)));
    if (!trs.length && state.place && selected && selected.id === state.place && selected.partnerships_total) {
      // The open place has relationships, only none of the chosen kind (sister cities by default).
      trs.push(el("tr", { class: "empty" }, el("td", { colSpan: 6 }, t("list_other_kinds", num(selected.partnerships_total)), " ",
        el("button", { type: "button", class: "place-link", "data-tier": "all" }, t("show_all_kinds")))));
    } else if (!trs.length && (overall || lines)) {
      // Nothing matches: say so, with what the registry covers, rather than an empty table.
      trs.push(el("tr", { class: "empty" }, el("td", { colSpan: 6 }, t("list_empty"), " ", ...coverageNote())));
    }
    $("#list tbody").replaceChildren(...trs);
    $("#pageinfo").textContent = t("page", num(state.page + 1), num(pages));
    $("#prev").disabled = state.page === 0;
    $("#next").disabled = state.page >= pages - 1;
  }

  // ---------- charts ----------
  function renderCharts(stats) {
    if (state.view !== "map") return;
    const base = { textStyle: { fontFamily: FONT }, tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
                   grid: { left: 16, right: 16, top: 24, bottom: 8, containLabel: true } };
    const years = stats.year.filter((s) => s.key).map((s) => [Number(s.key), s.count]);
    const unknown = stats.year.filter((s) => !s.key).reduce((a, s) => a + s.count, 0);
    const axis = [], counts = [];
    if (years.length) {
      const byYear = new Map(years);
      for (let y = years[0][0]; y <= years[years.length - 1][0]; y++) { axis.push(String(y)); counts.push(byYear.get(y) || 0); }
    }
    chart("years").setOption(Object.assign({}, base, {
      title: { text: unknown ? t("unknown_year", unknown) : "", right: 0, top: 0, textStyle: { fontSize: 11, fontWeight: "normal", color: "#616e7c" } },
      xAxis: { type: "category", data: axis }, yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: counts, itemStyle: { color: "#c0392b" } }],
    }), { notMerge: true });
    const top = stats.country.filter((s) => s.key).slice(0, 15).reverse();
    chart("countries").setOption(Object.assign({}, base, {
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: top.map((s) => countryName(s.key, s.label)), axisLabel: { interval: 0 } },
      series: [{ type: "bar", data: top.map((s) => ({ value: s.count, key: s.key })), itemStyle: { color: "#1f6feb" } }],
    }), { notMerge: true });
    const provinces = stats.province.filter((s) => s.key).slice(0, 34).reverse();
    chart("provinces").setOption(Object.assign({}, base, {
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: provinces.map((s) => provinceName(s.key)), axisLabel: { interval: 0, fontSize: 11 } },
      series: [{ type: "bar", barMaxWidth: 28, data: provinces.map((s) => ({ value: s.count, key: s.key })), itemStyle: { color: "#2f9e44" } }],
    }), { notMerge: true });
    $("#chart-provinces").style.height = Math.max(300, provinces.length * 16 + 40) + "px";
    charts.provinces.resize();
  }
  function chart(name) {
    if (!charts[name]) {
      charts[name] = echarts.init($("#chart-" + name));
      charts[name].on("click", (p) => {
        if (name === "years" && p.name) setFilter({ from: p.name, to: p.name });
        if (name === "countries" && p.data && p.data.key) setFilter({ country: p.data.key });
        if (name === "provinces" && p.data && p.data.key) setFilter({ province: p.data.key });
      });
    }
    return charts[name];
  }
  function resizeCharts() { for (const c of Object.values(charts)) c.resize(); }

  // ---------- downloads ----------
  function renderDownloads() {
    const params = apiParams().toString();
    const box = $("#downloads");
    box.replaceChildren(el("span", { "data-i18n": "download" }, t("download")),
      ...FORMATS.map(([fmt, label]) => el("a", { href: `api/export/${fmt}${params ? "?" + params : ""}`,
        download: "", "data-format": fmt }, label)));
  }

  // ---------- data quality ----------
  async function renderQuality() {
    try {
      const [report, summary] = await Promise.all([quality || getJSON(`api/anomalies?limit=${QUALITY_ROWS}`), getJSON("api/summary")]);
      quality = report;
      $("#q-summary").textContent = t("q_summary", num(summary.partnerships), num(summary.places),
        num(summary.countries), num(report.total), num(report.unplaced_total));
      const more = (sel, shown, all) => {  // numbers, not formatted text
        $(sel).hidden = shown >= all;
        $(sel).textContent = shown >= all ? "" : t("q_more", num(shown), num(all));
      };
      more("#q-unplaced-more", Math.min(QUALITY_ROWS, report.unplaced.length), report.unplaced_total);
      more("#q-anomalies-more", Math.min(QUALITY_ROWS, report.items.length), report.total);
      $("#unplaced tbody").replaceChildren(...report.unplaced.slice(0, QUALITY_ROWS).map((u) => el("tr", {},
        el("td", {}, el("button", { class: "place-link", type: "button", "data-id": u.id }, data(u.name))),
        el("td", {}, u.side === "cn" ? t("side_cn") : t("side_foreign")),
        el("td", {}, countryName(u.country, u.country)), el("td", {}, label("res_", u.resolution) || "—"),
        el("td", {}, String(u.partnerships)))));
      // The build's messages are English text about the source's words: data, shown as written.
      $("#anomalies tbody").replaceChildren(...report.items.slice(0, QUALITY_ROWS).map((a) => el("tr", {},
        el("td", { class: "src", translate: "no" }, `${a.source}:${a.line}`),
        el("td", { class: "sev-" + a.severity, "data-code": a.severity }, label("sev_", a.severity)),
        el("td", { "data-code": a.kind }, label("kind_", a.kind)),
        el("td", { translate: "no" }, a.message, a.text ? el("span", { class: "sub" }, a.text) : null))));
      $("#app").dataset.ready = "1";
    } catch (err) { showError(err); }
  }

  // ---------- coverage ----------
  function loadCoverage() {
    // What the registry was built from (/api/sources) and its relationships per province, every
    // kind (/api/stats?tier=all): the footer panel, and the answer when nothing matches.
    coverageP = coverageP || Promise.all([getJSON("api/sources"), getJSON("api/stats?tier=all")]).then(([sources, all]) => {
      learnProvinces(all);
      const groups = new Map();
      for (const src of sources) {
        const key = [src.format, src.snapshot || "", src.licence || ""].join("\u0001");
        const g = groups.get(key) || { format: src.format, snapshot: src.snapshot, licence: src.licence, files: 0, records: 0 };
        g.files += 1; g.records += src.records || 0;
        groups.set(key, g);
      }
      coverage = { sources, groups: [...groups.values()], stats: all };
      renderCoverage();
    });
    return coverageP;
  }
  function sourceGroupText(g) {
    const what = I18N[state.lang]["fmt_" + g.format] !== undefined ? t("fmt_" + g.format) : g.format;
    return `${what} (${g.snapshot || t("unknown")})`;
  }
  function renderCoverage() {
    if (!coverage) return;
    const { sources, groups, stats: all } = coverage;
    const list = groups.map(sourceGroupText).join(state.lang === "zh" ? "；" : "; ");
    $("#cov-summary").textContent = t("cov_summary", num(all.total), num(sources.length), list);
    $("#cov-sources tbody").replaceChildren(...groups.map((g) => el("tr", { "data-format": g.format },
      el("td", {}, I18N[state.lang]["fmt_" + g.format] !== undefined ? t("fmt_" + g.format) : data(g.format)),
      el("td", {}, num(g.files)), el("td", {}, num(g.records)), el("td", {}, g.snapshot || t("unknown")),
      el("td", {}, g.licence ? data(g.licence) : t("unknown")))));
    $("#cov-files ul").replaceChildren(...sources.map((src) => el("li", { translate: "no" },
      `${src.name} · ${src.records} · ${[src.snapshot, src.licence, src.origin || src.attribution].filter(Boolean).join(" · ")}`)));
    $("#cov-provinces tbody").replaceChildren(...all.province.map((row) => el("tr", {},
      el("td", {}, row.key ? provinceNode(row.key) : t("unknown")), el("td", {}, num(row.count)))));
  }
  function coverageNote() {
    // One sentence for an empty answer: how much the registry holds and from what, with a link.
    if (!coverage) return [];
    const list = coverage.groups.map(sourceGroupText).join(state.lang === "zh" ? "；" : "; ");
    return [t("no_hit_cover", num(coverage.stats.total), list), " ", el("a", { href: "#coverage" }, t("see_coverage"))];
  }

  // ---------- search box ----------
  function closeSuggestions() {
    $("#suggestions").hidden = true; $("#search").setAttribute("aria-expanded", "false");
    activeSuggestion = -1;
  }
  async function suggest() {
    const text = $("#search").value.trim();
    const seq = ++suggestSeq;
    if (!text) { closeSuggestions(); return; }
    let result;
    // A refusal (a 4xx naming the nearest names, say) is shown with the no-hit answer.
    try { result = await getJSON("api/search?" + new URLSearchParams({ q: text, limit: "10" })); }
    catch (err) { result = { items: [], message: err.message }; }
    if (seq !== suggestSeq) return;
    suggestions = result.items; activeSuggestion = -1;
    const list = $("#suggestions");
    if (!suggestions.length) await loadCoverage().catch(() => null);
    if (seq !== suggestSeq) return;
    list.replaceChildren(...(suggestions.length ? suggestions.map((s, i) => el("li", { role: "option", "data-id": s.id, "data-index": String(i) },
      el("span", { translate: "no" }, s.name, s.matched && s.matched !== s.name ? el("span", { class: "sub" }, s.matched) : null),
      el("span", { class: "meta" }, `${s.side === "cn" ? t("side_cn") : countryName(s.country, s.country || "?")} · ${t("place_count", s.partnerships)}`)))
      // No hit: say what the registry covers, so a missing place is not read as "no sister cities".
      : [el("li", { class: "nohit" }, ...tNodes("no_hit", data(text)), " ",
            result.message ? el("span", { class: "sub", translate: "no" }, result.message) : null, ...coverageNote())]));
    list.hidden = false; $("#search").setAttribute("aria-expanded", "true");
  }
  function moveSuggestion(delta) {
    const items = [...document.querySelectorAll("#suggestions li[data-id]")];
    if (!items.length) return;
    activeSuggestion = (activeSuggestion + delta + items.length) % items.length;
    items.forEach((li, i) => li.setAttribute("aria-selected", String(i === activeSuggestion)));
  }
  function chooseSuggestion(index) {
    const s = suggestions[index];
    if (!s) return;
    $("#search").value = s.name;
    closeSuggestions();
    selectPlace(s.id);
  }

  // ---------- views ----------
  function render() {
    applyLanguage(); showFilters();
    $("#view-map").hidden = state.view !== "map";
    $("#view-quality").hidden = state.view !== "quality";
    document.querySelectorAll(".nav a[data-view]").forEach((a) => a.classList.toggle("active", a.dataset.view === state.view));
    if (state.view === "quality") renderQuality();
  }
  function rerenderTexts() {
    render(); fillFilterOptions(); showFilters(); renderCount(); renderMap(); renderList(); renderDownloads();
    renderCoverage(); renderBanner();
    if (selected) renderPlace();
    if (state.view === "map" && stats) renderCharts(stats);
  }

  // ---------- events ----------
  function bind() {
    $("#lang").addEventListener("click", () => { state.lang = state.lang === "zh" ? "en" : "zh"; writeUrl(false); rerenderTexts(); });
    $("#f-country").addEventListener("change", (e) => setFilter({ country: e.target.value }));
    $("#f-province").addEventListener("change", (e) => setFilter({ province: e.target.value }));
    $("#f-level").addEventListener("change", (e) => setFilter({ level: e.target.value }));
    $("#f-tier").addEventListener("change", (e) => setFilter({ tier: e.target.value === DEFAULT_TIER ? "" : e.target.value }));
    $("#f-status").addEventListener("change", (e) => setFilter({ status: e.target.value }));
    for (const [id, key] of [["#f-from", "from"], ["#f-to", "to"]]) {
      $(id).addEventListener("change", (e) => {
        const v = e.target.value.trim();
        setFilter({ [key]: /^\d{1,4}$/.test(v) ? v : "" });
      });
    }
    $("#f-text button").addEventListener("click", () => { $("#search").value = ""; setFilter({ q: "" }); });
    $("#f-reset").addEventListener("click", () => {
      $("#search").value = "";
      const cleared = { q: "", country: "", province: "", level: "", from: "", to: "", tier: "", status: "" };
      if (state.place) { Object.assign(state, cleared); selectPlace(""); } else setFilter(cleared);
    });
    $("#place-back").addEventListener("click", (e) => { e.preventDefault(); selectPlace(""); });
    const turn = (delta) => {
      state.page = Math.max(0, state.page + delta); writeUrl(false);
      $("#prev").disabled = $("#next").disabled = true;
      loadList().catch(showError);
    };
    $("#prev").addEventListener("click", () => turn(-1));
    $("#next").addEventListener("click", () => turn(1));
    $("#place-close").addEventListener("click", () => selectPlace(""));
    document.addEventListener("click", (e) => {
      const tier = e.target.closest("button[data-tier]");
      if (tier) { setFilter({ tier: tier.dataset.tier }); return; }
      const button = e.target.closest(".place-link");
      if (button) { e.preventDefault(); selectPlace(button.dataset.id); return; }
      const option = e.target.closest("#suggestions li[data-id]");
      if (option) { chooseSuggestion(Number(option.dataset.index)); return; }
      if (!e.target.closest(".search")) closeSuggestions();
      const nav = e.target.closest(".nav a[data-view]");
      if (nav) {
        e.preventDefault(); state.view = nav.dataset.view; writeUrl(true); render();
        if (state.view === "map") { renderMap(); resizeCharts(); loadData(); }
      }
    });
    let timer = 0;
    $("#search").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(suggest, 120); });
    $("#search").addEventListener("keydown", (e) => {
      if (e.key === "ArrowDown") { e.preventDefault(); moveSuggestion(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); moveSuggestion(-1); }
      else if (e.key === "Escape") closeSuggestions();
      else if (e.key === "Enter") {
        e.preventDefault();
        if (activeSuggestion >= 0) chooseSuggestion(activeSuggestion);
        else { closeSuggestions(); setFilter({ q: $("#search").value.trim() }); }
      }
    });
    window.addEventListener("resize", resizeCharts);
    window.addEventListener("popstate", () => { readUrl(); render(); renderBanner(); loadData(); loadPlace(false); });
  }

  // ---------- relationships of the place page (issue #14) ----------
  // One item per relationship (a pair of places): its tier, status and date, every source that
  // attests it (file:line, as written) and where the sources disagree. Kept apart from the
  // place page's own code: it only fills #place-relationships.
  Object.assign(I18N.zh, {
    rel_title: "关系与来源", rel_sources: "{0} 个来源", rel_conflict: "来源不一致（{0}）：",
    rel_status_source: "状态来源：", rel_none: "没有关系。",
    status_active: "有效", status_suspended: "暂停", status_ended: "终止",
    field_date: "日期", field_country: "国家", field_tier: "类别",
  });
  Object.assign(I18N.en, {
    rel_title: "Relationships and their sources", rel_sources: "{0} source(s)", rel_conflict: "The sources disagree ({0}): ",
    rel_status_source: "Status from: ", rel_none: "No relationship.",
    status_active: "Active", status_suspended: "Suspended", status_ended: "Ended",
    field_date: "date", field_country: "country", field_tier: "kind",
  });
  let relationshipsSeq = 0;
  async function loadRelationships(placeId) {
    const seq = ++relationshipsSeq, box = $("#place-relationships");
    let found;
    try {
      found = await getJSON("api/relationships?" + new URLSearchParams({ place: placeId, limit: "1000" }));
    } catch (err) { showError(err); return; }
    if (seq !== relationshipsSeq || !selected || selected.id !== placeId) return;  // another place since
    box.replaceChildren(...(found.items.length ? found.items.map((r) => relationshipItem(r, placeId))
                                                : [el("li", { class: "muted" }, t("rel_none"))]));
  }
  // Tiers, statuses and fields in the page's language; names, files and values as written are data.
  function relationshipItem(r, placeId) {
    const other = r.cn_id === placeId ? (r.partner_name ? data(r.partner_name, "strong") : el("strong", {}, t("only_country")))
                                      : data(r.cn_name, "strong");
    const head = el("div", { class: "rel-head" }, other, " · ", label("tier_", r.tier), " · ", label("status_", r.status),
      ...(r.date ? [" · ", data(r.date)] : []), " · ", t("rel_sources", r.sources));
    const parts = [head];
    if (r.status !== "active") {
      parts.push(el("div", { class: "muted small" }, t("rel_status_source"), data(r.status_source)));
    }
    for (const c of r.conflicts) {
      const values = c.values.map((v) => `${v.value} (${v.source}:${v.line})`).join(" ≠ ");
      const field = I18N[state.lang]["field_" + c.field] !== undefined ? t("field_" + c.field) : c.field;
      parts.push(el("div", { class: "rel-conflict" }, t("rel_conflict", field), data(values)));
    }
    parts.push(el("ul", { class: "rel-sources" }, ...r.attestations.map((a) => el("li", {},
      el("span", { class: "src", translate: "no" }, `${a.source}:${a.line}`), " ",
      data([a.partner_name, a.country_text, a.date_text || a.date, a.note].filter(Boolean).join(" · "))))));
    return el("li", { "data-id": r.id }, ...parts);
  }

  // ---------- start ----------
  async function start() {
    readUrl(); bind(); render(); reveal = Boolean(state.place); renderBanner();
    $("#search").value = state.q;
    // The world shapes, the unfiltered stats (filter options) and the data load side by side.
    worldP = loadWorld().then(() => {
      charts.map = charts.map || echarts.init($("#map"));
      charts.map.on("click", onMapClick);
    }).catch((err) => { showError(err); });
    overallP = getJSON("api/stats");
    overallP.then((all) => { overall = all; learnProvinces(all); fillFilterOptions(); showFilters(); renderCount(); }).catch(() => {});
    loadCoverage().catch(showError);
    try {
      await Promise.all([loadData(), loadPlace(false)]);
    } catch (err) { showError(err); $("#app").dataset.ready = "1"; }
  }
  start();
})();
