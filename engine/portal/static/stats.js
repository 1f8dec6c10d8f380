// Draws each statistic's chart from the ECharts option the server put in
// the page as JSON (no inline script: the portal's CSP allows only its own
// files). Apache ECharts is served from the binary, nothing from outside.
(function () {
  var els = document.querySelectorAll('[data-chart]');
  for (var i = 0; i < els.length; i++) {
    var data = document.getElementById(els[i].getAttribute('data-chart'));
    if (!data) { continue; }
    var chart = echarts.init(els[i], null, { renderer: 'canvas' });
    chart.setOption(JSON.parse(data.textContent));
    els[i].setAttribute('data-drawn', '1');
  }
  window.addEventListener('resize', function () {
    for (var j = 0; j < els.length; j++) {
      var c = echarts.getInstanceByDom(els[j]);
      if (c) { c.resize(); }
    }
  });
})();
