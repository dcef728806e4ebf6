"""Print the emails moto's SES has accepted: recipient, subject and text body."""

import base64
import email
import email.policy
import json
import os
import urllib.request

endpoint = os.environ["AWS_ENDPOINT_URL"]
with urllib.request.urlopen(f"{endpoint}/moto-api/data.json") as r:
    ses = json.load(r).get("ses", {})

messages = ses.get("RawMessage", []) + ses.get("Message", [])
if not messages:
    print("no emails yet")
for m in messages:
    if "raw_data" in m:
        parsed = email.message_from_string(m["raw_data"], policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        text = body.get_content() if body else ""
        attachments = [a.get_filename() for a in parsed.iter_attachments()]
        print(f"To: {parsed['To']}\nSubject: {parsed['Subject']}")
        if attachments:
            print(f"Attached: {', '.join(filter(None, attachments))}")
        print(f"\n{text.strip()}\n{'-' * 72}")
    else:
        print(f"To: {', '.join(m.get('destinations', {}).get('ToAddresses', []))}\nSubject: {m.get('subject')}\n\n{m.get('body')}\n{'-' * 72}")
