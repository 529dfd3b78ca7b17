"""Progress of a fine_tune run: a tqdm bar on a terminal when tqdm is
installed, one plain line per epoch otherwise (logs, CI), nothing when off."""

import sys
import time


class Progress:
    def __init__(self, enabled=True, stream=None):
        self.stream = stream or sys.stderr
        self.enabled = bool(enabled)
        self._tqdm = None
        if self.enabled and getattr(self.stream, "isatty", lambda: False)():
            try:
                from tqdm import tqdm
                self._tqdm = tqdm
            except ImportError:
                pass
        self._bar = None
        self._last_line = 0.0

    def line(self, text):
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(text)
        else:
            print(text, file=self.stream, flush=True)

    def start(self, description, total):
        """A bar of `total` images (tqdm), or nothing (plain)."""
        self._started = time.perf_counter()
        self._done = 0
        self._total = total
        self._description = description
        if self.enabled and self._tqdm is not None:
            self._bar = self._tqdm(total=total, desc=description, unit="img", leave=False,
                                   file=self.stream, dynamic_ncols=True)

    def advance(self, images, **postfix):
        self._done += images
        if self._bar is not None:
            self._bar.update(images)
            if postfix:
                self._bar.set_postfix({k: f"{v:.4g}" for k, v in postfix.items()}, refresh=False)
        elif self.enabled:
            # Plain mode: a line every 30 s of a long epoch, so a log shows life.
            now = time.perf_counter()
            if now - max(self._started, self._last_line) >= 30:
                self._last_line = now
                rate = self._done / max(now - self._started, 1e-9)
                left = (self._total - self._done) / max(rate, 1e-9)
                extra = "".join(f" {k} {v:.4f}" for k, v in postfix.items())
                self.line(f"  {self._description}: {self._done}/{self._total} images{extra}, "
                          f"{rate:.1f} img/s, {left:.0f} s left")

    def finish(self):
        if self._bar is not None:
            self._bar.close()
            self._bar = None
