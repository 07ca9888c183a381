/* The card's 朗读 button: reads the card aloud with the phone's own speech synthesis (zh-CN).
   Where the browser has no speech synthesis the button is hidden. */
(function () {
  var button = document.getElementById("read-aloud");
  if (!button) return;
  if (!("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") {
    button.hidden = true;
    button.parentNode.hidden = true; // WeUI's display:block would otherwise win over [hidden]
    return;
  }
  function text() {
    var parts = [document.querySelector(".page-title").textContent];
    var changed = document.getElementById("changed");
    if (changed) parts.push(changed.textContent);
    document.querySelectorAll(".items .item").forEach(function (item) {
      var line = item.querySelector(".item-label").textContent.replace("已更新", "") + "，" +
        item.querySelector(".item-value").textContent;
      var old = item.querySelector(".item-old");
      if (old) line += "，已更新，" + old.textContent;
      parts.push(line.replace(/\*+/g, "星号"));
    });
    return parts.join("。");
  }
  button.addEventListener("click", function () {
    window.speechSynthesis.cancel();
    var utterance = new SpeechSynthesisUtterance(text());
    utterance.lang = "zh-CN";
    utterance.rate = 0.85; // slower, for elderly members
    window.speechSynthesis.speak(utterance);
  });
})();
