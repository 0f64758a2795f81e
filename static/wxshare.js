/* xiaodian: the WeChat share card. Inside WeChat's browser only, it asks
 * the shop to sign this page's JS-SDK configuration (/wechat/share-config,
 * which also gives the link with the sharer's referral code), loads
 * WeChat's jweixin and sets the card from the page's og: tags. Elsewhere it
 * does nothing. After htmx navigation it sets the card of the new page. */
(function () {
	if (!/MicroMessenger/i.test(navigator.userAgent)) { return; }
	var sdk = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js";
	function meta(p) {
		var m = document.querySelector('meta[property="' + p + '"]');
		return m ? m.getAttribute("content") : "";
	}
	function load(done) {
		if (window.wx && window.wx.config) { done(); return; }
		var s = document.createElement("script");
		s.src = sdk;
		s.onload = done;
		document.head.appendChild(s);
	}
	function setup() {
		var page = location.href.split("#")[0];
		fetch("/wechat/share-config?url=" + encodeURIComponent(page), { credentials: "same-origin" })
			.then(function (r) { return r.ok ? r.json() : null; })
			.then(function (cfg) {
				if (!cfg) { return; }
				load(function () {
					var wx = window.wx;
					wx.config({
						debug: false, appId: cfg.appId, timestamp: cfg.timestamp, nonceStr: cfg.nonceStr,
						signature: cfg.signature, jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"]
					});
					wx.ready(function () {
						var card = {
							title: meta("og:title") || document.title, desc: meta("og:description"),
							link: cfg.link || page, imgUrl: meta("og:image")
						};
						wx.updateAppMessageShareData(card);
						wx.updateTimelineShareData({ title: card.title, link: card.link, imgUrl: card.imgUrl });
					});
				});
			})
			.catch(function () {});
	}
	// After the page has loaded: the card is only needed when the reader
	// shares, and WeChat's script must never hold up the page.
	if (document.readyState === "complete") { setup(); } else { window.addEventListener("load", setup); }
	document.addEventListener("htmx:pushedIntoHistory", setup);
})();
