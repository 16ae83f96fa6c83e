#!/usr/bin/python3
"""Real-browser test of the booking widget and the admin's "Warm all".

Headless Chromium from Debian, driven through chromium-driver with
python3-selenium, against the private test site that tests/wp/run.sh runs
(RP_WP_STATE names its directory). Two visitors open the booking page:
the first holds a slot, verifies the email with the code read from the
site's mail log, confirms and sees the reference; the second sees the slot
turn held, then booked, without reloading. Then an administrator clicks
"Warm all" and sees the progress finish (WP-Cron is disabled in tests, so
this script runs the due events itself, as WP-Cron would).
"""
import datetime
import json
import os
import random
import re
import subprocess
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

STATE = os.environ["RP_WP_STATE"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# How soon the second visitor must see a change (the live stream, else the heartbeat).
LIVE_SECONDS = float(os.environ.get("RP_BROWSER_LIVE_SECONDS", "3"))
passed = 0
failed = 0


def env(name):
    for file in ("site.env", "content.env"):
        with open(os.path.join(STATE, file)) as handle:
            for line in handle:
                key, _, value = line.strip().partition("=")
                if key == name:
                    return value.strip("'")
    raise KeyError(name)


def browser():
    options = webdriver.ChromeOptions()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(arg)
    options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    return driver


def wp(php_file):
    return subprocess.run([os.path.join(ROOT, "tests/wp/site.sh"), "wp", STATE, php_file],
                          check=True, capture_output=True, text=True).stdout


def mailed_code(email, since, wait=5.0):
    deadline = time.time() + wait
    while time.time() < deadline:
        try:
            with open(os.path.join(STATE, "mail.log")) as handle:
                lines = handle.readlines()
        except FileNotFoundError:
            lines = []
        for line in reversed(lines):
            mail = json.loads(line)
            match = re.search(r"code is (\d+)", mail["message"])
            if mail["to"] == email and mail["at"] >= since and match:
                return match.group(1)
        time.sleep(0.1)
    raise AssertionError("no code mailed to " + email)


def check(name, test):
    global passed, failed
    started = time.time()
    try:
        test()
        passed += 1
        print("ok   %s (%.1f s)" % (name, time.time() - started))
    except Exception as error:  # noqa: BLE001 - report every failure and go on
        failed += 1
        print("FAIL %s: %s: %s" % (name, type(error).__name__, error))


def button(driver, time_label):
    return driver.find_element(By.CSS_SELECTOR, '.rp-booking button[data-time="%s"]' % time_label)


def open_day(driver, url, day):
    driver.get(url)
    WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".rp-booking button[data-time]"))
    field = driver.find_element(By.CSS_SELECTOR, '.rp-booking input[type="date"]')
    driver.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('change'));", field, day)
    time.sleep(0.5)


def booking_flow():
    url = env("BOOK_URL")
    # A day other runs on this site are unlikely to have booked full.
    day = (datetime.date.today() + datetime.timedelta(days=random.randint(2, 80))).isoformat()
    visitor, watcher = browser(), browser()
    try:
        open_day(watcher, url, day)
        open_day(visitor, url, day)
        WebDriverWait(visitor, 5).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".rp-booking button.rp-free"))
        free = visitor.find_element(By.CSS_SELECTOR, ".rp-booking button.rp-free")
        slot = free.get_attribute("data-time")
        free.click()
        status = visitor.find_element(By.CSS_SELECTOR, ".rp-booking .rp-status")
        WebDriverWait(visitor, 5).until(lambda d: slot in status.text)
        countdown = visitor.find_element(By.CSS_SELECTOR, ".rp-booking .rp-countdown")
        assert countdown.is_displayed() and re.search(r"\d+:\d\d", countdown.text), countdown.text
        seen = time.time()
        WebDriverWait(watcher, LIVE_SECONDS + 20).until(lambda d: not button(d, slot).is_enabled())
        held_after = time.time() - seen

        email = "browser-%d@example.test" % int(time.time() * 1000)
        visitor.find_element(By.CSS_SELECTOR, '.rp-booking input[type="email"]').send_keys(email)
        since = time.time()
        visitor.find_element(By.CSS_SELECTOR, ".rp-booking .rp-submit").click()
        code = mailed_code(email, since - 1)
        code_field = visitor.find_element(By.CSS_SELECTOR, '.rp-booking input[autocomplete="one-time-code"]')
        WebDriverWait(visitor, 5).until(lambda d: code_field.is_displayed())
        code_field.send_keys(code)
        visitor.find_element(By.CSS_SELECTOR, ".rp-booking .rp-submit").click()
        reference = visitor.find_element(By.CSS_SELECTOR, ".rp-booking .rp-reference")
        WebDriverWait(visitor, 10).until(lambda d: reference.is_displayed())
        assert re.search(r"RP-[0-9A-Z]{10}", reference.text), reference.text
        assert re.search(r"RP-[0-9A-Z]{10}", status.text), status.text
        seen = time.time()
        WebDriverWait(watcher, LIVE_SECONDS + 20).until(lambda d: "rp-booked" in button(d, slot).get_attribute("class"))
        booked_after = time.time() - seen
        print("     the other page saw the hold after %.1f s and the booking after %.1f s (live: %s)"
              % (held_after, booked_after, watcher.find_element(By.CSS_SELECTOR, ".rp-booking").get_attribute("data-live")))
        assert max(held_after, booked_after) <= LIVE_SECONDS, "changes must show within %.0f s" % LIVE_SECONDS
    finally:
        visitor.quit()
        watcher.quit()


def warm_all():
    driver = browser()
    try:
        site = env("SITE_URL")
        driver.get(site + "/wp-includes/images/blank.gif")
        cookies = wp(os.path.join(ROOT, "tests/browser/login-cookies.php"))
        for line in cookies.strip().splitlines():
            name, _, value = line.partition("=")
            driver.add_cookie({"name": name, "value": value, "path": "/"})
        driver.get(site + "/wp-admin/options-general.php?page=redis-persona")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "rp-warm").is_enabled())
        driver.find_element(By.ID, "rp-warm").click()
        message = driver.find_element(By.ID, "rp-message")
        deadline = time.time() + 60
        while time.time() < deadline:
            wp(os.path.join(ROOT, "tests/browser/run-cron.php"))
            if driver.find_element(By.ID, "rp-warm").is_enabled() and message.text:
                break
            time.sleep(0.5)
        progress = driver.find_element(By.ID, "rp-warm-progress")
        assert progress.is_displayed(), "the progress bar is shown"
        assert "finished" in message.text and driver.find_element(By.ID, "rp-warm").is_enabled(), message.text
        print("     " + message.text)
    finally:
        driver.quit()


check("a visitor books a slot and another page sees it taken without reloading", booking_flow)
check("the admin's Warm all progress finishes", warm_all)
print("browser: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
