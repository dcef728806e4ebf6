use axum::http::{Method, StatusCode};
use e2e::{Res, Salon, TestApp};
use serde_json::{Value, json};
use shared::Role;
use uuid::Uuid;

const NOW: &str = "2026-11-21T08:00:00Z";

async fn salon(t: &TestApp) -> Salon {
    t.salon("Europe/Berlin", 1, &[(1, "09:00", "17:00")], json!({"name": "Cut", "duration_minutes": 30})).await
}

/// A form the salon's service asks for; returns its id.
async fn form(t: &TestApp, s: &Salon, name: &str, fields: Value) -> String {
    let body = json!({"name": name, "fields": fields, "service_ids": [s.service]});
    let res = t.post("/v1/forms", Some(&s.tenant.owner), body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    res.id()
}

/// Book the salon's service online; returns the appointment's id and its manage token.
async fn booked(t: &TestApp, s: &Salon, start: &str, email: &str) -> (String, String) {
    let res = t.book(s, start, None, email).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    (res.id(), res.body["manage_token"].as_str().unwrap().to_owned())
}

async fn submit(t: &TestApp, token: &str, form: &str, answers: Value) -> Res {
    t.post(&format!("/v1/public/manage/{token}/forms/{form}"), None, json!({ "answers": answers })).await
}

/// Every field a 422 names, in order.
fn errors(res: &Res) -> Vec<String> {
    res.body["errors"]
        .as_array()
        .map(|all| all.iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

fn ids(res: &Res) -> Vec<String> {
    res.body["data"].as_array().unwrap().iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect()
}

async fn csv(t: &TestApp, path: &str, token: &str) -> Res {
    t.call(Method::GET, path, Some(token), None, &[("accept", "text/csv")]).await
}

async fn pending(t: &TestApp, business_id: Uuid, appointment: &str) -> Vec<forms::pending::AppointmentForm> {
    let mut tx = t.app.db.tenant_tx(business_id).await.unwrap();
    let found = forms::pending::for_appointment(&mut tx, appointment.parse().unwrap()).await.unwrap();
    tx.commit().await.unwrap();
    found
}

/// Name, version and whether answered, of each pending form.
fn summary(found: &[forms::pending::AppointmentForm]) -> Vec<(String, i32, bool)> {
    found.iter().map(|f| (f.name.clone(), f.version, f.answered_at.is_some())).collect()
}

async fn count(t: &TestApp, sql: &str, form: &str) -> i64 {
    sqlx::query_scalar(sql).bind(form).fetch_one(&t.db.admin).await.unwrap()
}

#[tokio::test]
async fn forms_create_list_update_delete_and_refusals() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t).await;
    let owner = Some(s.tenant.owner.as_str());
    let staff = t.member(&s.tenant, Role::Staff).await;
    let b = t.tenant("Other").await;
    let unstaffed = json!({"name": "X", "duration_minutes": 30, "staff_ids": []});
    let b_service = t.post("/v1/services", Some(&b.owner), unstaffed).await.id();

    let fields = json!([
        {"id": "allergies", "type": "long_text", "label": " Any allergies? "},
        {"id": "consent", "type": "checkbox", "label": "I agree to the treatment", "required": true},
    ]);
    let res = t.post("/v1/forms", owner, json!({"name": "Intake", "fields": fields, "service_ids": [s.service]})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!((res.body["version"].as_i64(), &res.body["service_ids"]), (Some(1), &json!([s.service])));
    // Defaults are filled in and labels trimmed.
    assert_eq!(
        (&res.body["fields"][0]["label"], &res.body["fields"][0]["max_length"], &res.body["fields"][0]["required"]),
        (&json!("Any allergies?"), &json!(5000), &json!(false))
    );
    let created_fields = res.body["fields"].clone();
    let id = res.id();
    let path = format!("/v1/forms/{id}");

    let one = |field: Value| json!({"name": "X", "fields": [field]});
    for (body, at) in [
        (json!({"fields": fields}), "name"),
        (json!({"name": "X", "fields": []}), "fields"),
        (json!({"name": "X", "fields": "text"}), "fields"),
        (one(json!({"id": "Allergies!", "type": "text", "label": "A"})), "fields[0].id"),
        (one(json!({"id": "a", "type": "colour", "label": "A"})), "fields[0].type"),
        (one(json!({"id": "a", "type": "text"})), "fields[0].label"),
        (one(json!({"id": "a", "type": "single_choice", "label": "A", "options": []})), "fields[0].options"),
        (one(json!({"id": "a", "type": "text", "label": "A", "max_length": 201})), "fields[0].max_length"),
        (one(json!({"id": "a", "type": "number", "label": "A", "options": ["x"]})), "fields[0].options"),
        (
            json!({"name": "X", "fields": [{"id": "a", "type": "email", "label": "A"},
                                           {"id": "a", "type": "phone", "label": "B"}]}),
            "fields[1].id",
        ),
        (json!({"name": "X", "fields": fields, "service_ids": [b_service]}), "service_ids"),
        (json!({"name": "X", "fields": fields, "service_ids": ["nope"]}), "service_ids[0]"),
        (json!({"name": "X", "fields": fields, "colour": "red"}), "colour"),
    ] {
        let res = t.post("/v1/forms", owner, body).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, at), "{}", res.body);
    }
    // Every fault of a definition at once.
    let res = t
        .post(
            "/v1/forms",
            owner,
            json!({"name": "X", "fields": [
                {"id": "a", "type": "single_choice", "label": "A", "options": ["x", "x"]},
                {"id": "b", "type": "email", "label": ""},
                {"id": "c", "type": "date", "label": "C", "min": "2026-12-31", "max": "2026-01-01"},
            ]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(errors(&res), ["fields[0].options[1]", "fields[1].label", "fields[2].max"]);

    // Staff read forms but do not manage them; without a token nothing.
    let list = t.get("/v1/forms", Some(&staff)).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(ids(&list), std::slice::from_ref(&id));
    assert_eq!(list.body["data"][0]["name"], "Intake");
    let new = json!({"name": "X", "fields": fields});
    assert_eq!(t.post("/v1/forms", Some(&staff), new.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.patch(&path, Some(&staff), json!({"name": "Y"})).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.delete(&path, Some(&staff)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(t.get("/v1/forms", None).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.post("/v1/forms", None, new).await.status, StatusCode::UNAUTHORIZED);

    // Another business sees none of it.
    assert_eq!(t.get("/v1/forms", Some(&b.owner)).await.body["data"], json!([]));
    for res in [
        t.patch(&path, Some(&b.owner), json!({"name": "Hijacked"})).await,
        t.delete(&path, Some(&b.owner)).await,
        t.get(&format!("{path}/responses"), Some(&b.owner)).await,
    ] {
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
        assert!(!res.body.to_string().contains("Intake"));
    }

    // The attachment alone, or the same definition again, makes no version.
    let res = t.patch(&path, owner, json!({"service_ids": []})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!((res.body["version"].as_i64(), &res.body["service_ids"]), (Some(1), &json!([])));
    let res = t.patch(&path, owner, json!({"service_ids": [s.service], "fields": fields, "name": "Intake"})).await;
    assert_eq!((res.body["version"].as_i64(), &res.body["service_ids"]), (Some(1), &json!([s.service])));
    // A new name or new fields do.
    let res = t.patch(&path, owner, json!({"name": "Intake (new)"})).await;
    assert_eq!((res.body["version"].as_i64(), res.body["name"].as_str()), (Some(2), Some("Intake (new)")));
    assert_eq!(res.body["fields"], created_fields);
    let shorter = json!({"fields": [{"id": "allergies", "type": "text", "label": "Allergies"}]});
    let res = t.patch(&path, owner, shorter).await;
    assert_eq!((res.body["version"].as_i64(), res.body["name"].as_str()), (Some(3), Some("Intake (new)")));
    assert_eq!(res.body["fields"].as_array().map(Vec::len), Some(1));
    let res = t.patch(&path, owner, json!({"fields": [{"id": "allergies", "type": "text", "label": ""}]})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "fields[0].label"), "{}", res.body);
    let res = t.patch(&path, owner, json!({"service_ids": [b_service]})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "service_ids"));
    let unknown = format!("/v1/forms/{}", Uuid::now_v7());
    assert_eq!(t.patch(&unknown, owner, json!({"name": "X"})).await.status, StatusCode::NOT_FOUND);

    // Archived: gone from the list and its service, its versions kept.
    assert_eq!(t.delete(&path, owner).await.status, StatusCode::NO_CONTENT);
    assert_eq!(t.delete(&path, owner).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.patch(&path, owner, json!({"name": "Back"})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/v1/forms", owner).await.body["data"], json!([]));
    assert_eq!(count(&t, "SELECT count(*) FROM form_versions WHERE form_id = $1::uuid", &id).await, 3);
    assert_eq!(count(&t, "SELECT count(*) FROM service_forms WHERE form_id = $1::uuid", &id).await, 0);
    assert_eq!(t.get(&format!("{path}/responses"), owner).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_form_change_after_a_response_keeps_the_old_answer_readable() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t).await;
    let owner = Some(s.tenant.owner.as_str());
    let fields = json!([{"id": "allergies", "type": "text", "label": "Any allergies?", "required": true}]);
    let form = form(&t, &s, "Intake", fields).await;
    let (first, ann) = booked(&t, &s, "2026-11-30T09:00:00Z", "ann@example.com").await;
    let res = submit(&t, &ann, &form, json!({"allergies": "Latex"})).await;
    assert_eq!((res.status, res.body["version"].as_i64()), (StatusCode::CREATED, Some(1)), "{}", res.body);

    let res = t
        .patch(
            &format!("/v1/forms/{form}"),
            owner,
            json!({"fields": [
                {"id": "allergies", "type": "text", "label": "Allergies or intolerances", "required": true},
                {"id": "medication", "type": "long_text", "label": "Medication"},
            ]}),
        )
        .await;
    assert_eq!(res.body["version"], 2, "{}", res.body);
    let (second, ben) = booked(&t, &s, "2026-11-30T10:00:00Z", "ben@example.com").await;
    let res = submit(&t, &ben, &form, json!({"allergies": "None", "medication": "Aspirin"})).await;
    assert_eq!((res.status, res.body["version"].as_i64()), (StatusCode::CREATED, Some(2)), "{}", res.body);

    let list = t.get(&format!("/v1/forms/{form}/responses"), owner).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    let data = list.body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    // Ann's answer still reads with the label she answered.
    assert_eq!(data[0]["appointment_id"], first.as_str());
    assert_eq!(data[0]["version"], 1);
    assert_eq!(
        data[0]["answers"],
        json!([{"field_id": "allergies", "label": "Any allergies?", "type": "text", "value": "Latex"}])
    );
    assert_eq!(
        (&data[0]["customer"]["email"], &data[0]["appointment_start"], &data[0]["submitted_at"]),
        (&json!("ann@example.com"), &json!("2026-11-30T09:00:00Z"), &json!(NOW))
    );
    assert_eq!(data[1]["appointment_id"], second.as_str());
    assert_eq!(data[1]["version"], 2);
    assert_eq!(
        data[1]["answers"],
        json!([
            {"field_id": "allergies", "label": "Allergies or intolerances", "type": "text", "value": "None"},
            {"field_id": "medication", "label": "Medication", "type": "long_text", "value": "Aspirin"},
        ])
    );
    assert_eq!(data[0]["customer"]["name"], "Casey");

    // Answering again checks against the current version and moves the answer to it.
    let res = submit(&t, &ann, &form, json!({"allergies": "Latex", "medication": "None"})).await;
    assert_eq!((res.status, res.body["version"].as_i64()), (StatusCode::OK, Some(2)), "{}", res.body);
    let list = t.get(&format!("/v1/forms/{form}/responses?appointment_id={first}"), owner).await;
    assert_eq!(list.body["data"][0]["answers"][0]["label"], "Allergies or intolerances");
}

#[tokio::test]
async fn an_invalid_submission_names_each_failing_field() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t).await;
    let owner = Some(s.tenant.owner.as_str());
    let form = form(
        &t,
        &s,
        "Health",
        json!([
            {"id": "age", "type": "number", "label": "Age", "min": 16, "integer": true, "required": true},
            {"id": "email", "type": "email", "label": "Email for the results"},
            {"id": "areas", "type": "multiple_choice", "label": "Areas", "options": ["Face", "Hands", "Feet"],
             "max_selected": 2},
            {"id": "since", "type": "date", "label": "Since", "max": "2026-11-21"},
            {"id": "consent", "type": "checkbox", "label": "I consent", "required": true},
        ]),
    )
    .await;
    let (_, token) = booked(&t, &s, "2026-11-30T09:00:00Z", "kim@example.com").await;

    let res = submit(
        &t,
        &token,
        &form,
        json!({"age": 15.5, "email": "not-an-email", "areas": ["Face", "Knees"], "since": "2026-11-21",
               "consent": false, "shoe_size": 42}),
    )
    .await;
    assert_eq!(
        (res.status, res.code(), res.field()),
        (StatusCode::UNPROCESSABLE_ENTITY, "VALIDATION_FAILED", "answers.age")
    );
    assert_eq!(errors(&res), ["answers.age", "answers.email", "answers.areas", "answers.consent", "answers.shoe_size"]);
    let res = submit(&t, &token, &form, json!({"areas": ["Face", "Hands", "Feet"]})).await;
    assert_eq!(errors(&res), ["answers.age", "answers.areas", "answers.consent"], "{}", res.body);
    assert_eq!(count(&t, "SELECT count(*) FROM form_responses WHERE form_id = $1::uuid", &form).await, 0);

    let res = submit(
        &t,
        &token,
        &form,
        json!({"age": 30, "email": " Kim@Example.com", "areas": ["Feet", "Face"], "consent": true, "since": ""}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(
        res.body["answers"],
        json!({"age": 30, "email": "kim@example.com", "areas": ["Face", "Feet"], "consent": true})
    );

    // Refusals of the link, the form and the body.
    let res = submit(&t, "forged", &form, json!({"age": 30})).await;
    assert_eq!((res.status, res.code()), (StatusCode::NOT_FOUND, "LINK_INVALID"));
    let unused = t
        .post("/v1/forms", owner, json!({"name": "Unused", "fields": [{"id": "x", "type": "email", "label": "X"}]}))
        .await
        .id();
    assert_eq!(submit(&t, &token, &unused, json!({})).await.status, StatusCode::NOT_FOUND);
    let b = t.tenant("Other").await;
    let unstaffed = json!({"name": "B", "duration_minutes": 30, "staff_ids": []});
    let b_service = t.post("/v1/services", Some(&b.owner), unstaffed).await.id();
    let b_form = t
        .post(
            "/v1/forms",
            Some(&b.owner),
            json!({"name": "B's", "fields": [{"id": "x", "type": "email", "label": "X"}], "service_ids": [b_service]}),
        )
        .await
        .id();
    assert_eq!(submit(&t, &token, &b_form, json!({})).await.status, StatusCode::NOT_FOUND);
    let res = t.post(&format!("/v1/public/manage/{token}/forms/nope"), None, json!({"answers": {}})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "form_id"));
    let res = t.post(&format!("/v1/public/manage/{token}/forms/{form}"), None, json!({})).await;
    assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, "answers"));

    // A cancelled appointment takes no more answers.
    let res = t.post(&format!("/v1/public/manage/{token}/cancel"), None, json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = submit(&t, &token, &form, json!({"age": 30, "consent": true})).await;
    assert_eq!((res.status, res.code()), (StatusCode::CONFLICT, "APPOINTMENT_CANCELLED"), "{}", res.body);
}

#[tokio::test]
async fn a_repeat_submission_replaces_the_answers_in_place() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t).await;
    let form = form(&t, &s, "Notes", json!([{"id": "note", "type": "text", "label": "Note"}])).await;
    let (appointment, token) = booked(&t, &s, "2026-11-30T09:00:00Z", "lee@example.com").await;

    let first = submit(&t, &token, &form, json!({"note": "first"})).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let second = submit(&t, &token, &form, json!({"note": "second"})).await;
    assert_eq!((second.status, second.id()), (StatusCode::OK, first.id()), "{}", second.body);
    let again = submit(&t, &token, &form, json!({"note": "second"})).await;
    assert_eq!(
        (again.status, again.id(), &again.body["answers"]),
        (StatusCode::OK, first.id(), &json!({"note": "second"}))
    );

    let stored: Vec<(Uuid, Value)> =
        sqlx::query_as("SELECT appointment_id, answers FROM form_responses").fetch_all(&t.db.admin).await.unwrap();
    assert_eq!(stored, [(appointment.parse::<Uuid>().unwrap(), json!({"note": "second"}))]);
    let list = t.get(&format!("/v1/forms/{form}/responses"), Some(&s.tenant.owner)).await;
    assert_eq!(ids(&list), [first.id()]);
    assert_eq!(list.body["data"][0]["answers"][0]["value"], "second");
    // An empty answer to an optional question clears it.
    let cleared = submit(&t, &token, &form, json!({"note": ""})).await;
    assert_eq!((cleared.status, &cleared.body["answers"]), (StatusCode::OK, &json!({})));
}

#[tokio::test]
async fn pending_forms_before_and_after_answering() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t).await;
    let owner = Some(s.tenant.owner.as_str());
    let intake = form(&t, &s, "Intake", json!([{"id": "allergies", "type": "text", "label": "Allergies"}])).await;
    let tick = json!([{"id": "ok", "type": "checkbox", "label": "I agree", "required": true}]);
    let consent = form(&t, &s, "Consent", tick).await;
    // A form of another service is not this appointment's.
    let colour = t
        .post("/v1/services", owner, json!({"name": "Colour", "duration_minutes": 60, "staff_ids": [s.staff[0]]}))
        .await
        .id();
    let res = t
        .post(
            "/v1/forms",
            owner,
            json!({"name": "Colour history", "fields": [{"id": "dye", "type": "text", "label": "Dye"}],
                   "service_ids": [colour]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let (appointment, token) = booked(&t, &s, "2026-11-30T09:00:00Z", "mia@example.com").await;

    let before = pending(&t, s.tenant.business_id, &appointment).await;
    assert_eq!(summary(&before), [("Intake".to_owned(), 1, false), ("Consent".to_owned(), 1, false)]);
    assert_eq!((before[0].form_id.to_string(), before[1].form_id.to_string()), (intake.clone(), consent.clone()));
    assert_eq!(before[1].fields, json!([{"id": "ok", "type": "checkbox", "label": "I agree", "required": true}]));

    assert_eq!(submit(&t, &token, &consent, json!({"ok": true})).await.status, StatusCode::CREATED);
    let res = t.patch(&format!("/v1/forms/{consent}"), owner, json!({"name": "Consent (2027)"})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let after = pending(&t, s.tenant.business_id, &appointment).await;
    assert_eq!(summary(&after), [("Intake".to_owned(), 1, false), ("Consent (2027)".to_owned(), 2, true)]);
    assert_eq!(after[1].answered_at, Some(t.app.now()));

    // An archived form is no longer asked for; another business's transaction sees nothing.
    assert_eq!(t.delete(&format!("/v1/forms/{intake}"), owner).await.status, StatusCode::NO_CONTENT);
    let after = pending(&t, s.tenant.business_id, &appointment).await;
    assert_eq!(summary(&after), [("Consent (2027)".to_owned(), 2, true)]);
    assert_eq!(submit(&t, &token, &intake, json!({})).await.status, StatusCode::NOT_FOUND);
    let b = t.tenant("Other").await;
    assert!(pending(&t, b.business_id, &appointment).await.is_empty());
}

#[tokio::test]
async fn csv_export_quotes_defuses_and_keeps_fields_of_older_versions() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t).await;
    let owner = Some(s.tenant.owner.as_str());
    let staff = t.member(&s.tenant, Role::Staff).await;
    let form = form(
        &t,
        &s,
        "Intake",
        json!([
            {"id": "note", "type": "text", "label": "Note"},
            {"id": "areas", "type": "multiple_choice", "label": "Areas", "options": ["Face", "Hands", "Feet"]},
        ]),
    )
    .await;
    let (a1, ann) = booked(&t, &s, "2026-11-30T09:00:00Z", "ann@example.com").await;
    let r1 = submit(&t, &ann, &form, json!({"note": "He said \"hi\", twice", "areas": ["Feet", "Face"]})).await;
    assert_eq!(r1.status, StatusCode::CREATED, "{}", r1.body);
    // Version 2 drops `areas`, renames `note` and adds `goal`.
    let res = t
        .patch(
            &format!("/v1/forms/{form}"),
            owner,
            json!({"fields": [
                {"id": "note", "type": "text", "label": "Notes, please"},
                {"id": "goal", "type": "text", "label": "Goal"},
            ]}),
        )
        .await;
    assert_eq!(res.body["version"], 2, "{}", res.body);
    let (a2, ben) = booked(&t, &s, "2026-11-30T10:00:00Z", "ben@example.com").await;
    let r2 = submit(&t, &ben, &form, json!({"note": "-5 kg", "goal": "=HYPERLINK(\"http://x\")"})).await;
    assert_eq!(r2.status, StatusCode::CREATED, "{}", r2.body);

    let path = format!("/v1/forms/{form}/responses");
    let res = csv(&t, &path, &staff).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.headers["content-type"], "text/csv; charset=utf-8");
    let expected = format!(
        "response_id,submitted_at,appointment_id,appointment_start,customer_name,customer_email,\
         \"Notes, please\",Areas,Goal\r\n\
         {r1},{NOW},{a1},2026-11-30T09:00:00Z,Casey,ann@example.com,\"He said \"\"hi\"\", twice\",Face; Feet,\r\n\
         {r2},{NOW},{a2},2026-11-30T10:00:00Z,Casey,ben@example.com,'-5 kg,,\"'=HYPERLINK(\"\"http://x\"\")\"\r\n",
        r1 = r1.id(),
        r2 = r2.id(),
    );
    assert_eq!(res.body.as_str(), Some(expected.as_str()));
    // JSON unless CSV is asked for; the appointment filter applies to the file too.
    assert!(t.get(&path, Some(&staff)).await.body["data"].is_array());
    let one = csv(&t, &format!("{path}?appointment_id={a2}"), &staff).await;
    let lines: Vec<&str> = one.body.as_str().unwrap().split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 2);
    assert!(lines[1].starts_with(&r2.id()));

    // More responses than one batch: every one arrives once, in id order.
    sqlx::query(
        "WITH made AS (
             INSERT INTO appointments (id, business_id, service_id, staff_id, customer_id, starts_at, ends_at, blocked)
             SELECT gen_random_uuid(), $1, $2::uuid, $3::uuid, c.id, g.at, g.at + interval '30 minutes',
                    tstzrange(g.at, g.at + interval '30 minutes')
             FROM (SELECT timestamptz '2027-01-04T08:00:00Z' + n * interval '1 hour' AS at
                   FROM generate_series(1, 1100) n) g,
                  (SELECT id FROM customers WHERE business_id = $1 ORDER BY id LIMIT 1) c
             RETURNING id
         )
         INSERT INTO form_responses (id, business_id, form_id, version, appointment_id, answers, submitted_at)
         SELECT gen_random_uuid(), $1, $4::uuid, 2, made.id, '{\"goal\": \"bulk\"}', $5 FROM made",
    )
    .bind(s.tenant.business_id)
    .bind(&s.service)
    .bind(&s.staff[0])
    .bind(&form)
    .bind(t.app.now())
    .execute(&t.db.admin)
    .await
    .unwrap();
    let all = csv(&t, &path, &s.tenant.owner).await;
    assert_eq!(all.status, StatusCode::OK);
    let text = all.body.as_str().unwrap();
    assert!(text.ends_with("\r\n"));
    let rows: Vec<&str> = text.split_terminator("\r\n").skip(1).collect();
    assert_eq!(rows.len(), 1102);
    let row_ids: Vec<&str> = rows.iter().map(|r| r.split(',').next().unwrap()).collect();
    let mut sorted = row_ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(row_ids, sorted, "unique and in id order");
    assert_eq!(rows.iter().filter(|r| r.ends_with(",bulk")).count(), 1100);
}

#[tokio::test]
async fn responses_are_paginated_filtered_and_refused_to_strangers() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t).await;
    let staff = t.member(&s.tenant, Role::Staff).await;
    let form = form(&t, &s, "Notes", json!([{"id": "note", "type": "text", "label": "Note"}])).await;
    let mut responses = Vec::new();
    let mut appointments = Vec::new();
    for (i, start) in ["2026-11-30T09:00:00Z", "2026-11-30T10:00:00Z", "2026-11-30T11:00:00Z"].into_iter().enumerate() {
        let (appointment, token) = booked(&t, &s, start, &format!("c{i}@example.com")).await;
        let res = submit(&t, &token, &form, json!({"note": format!("note {i}")})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
        responses.push(res.id());
        appointments.push(appointment);
    }
    let path = format!("/v1/forms/{form}/responses");

    let page1 = t.get(&format!("{path}?limit=2"), Some(&staff)).await;
    assert_eq!(page1.status, StatusCode::OK, "{}", page1.body);
    assert_eq!(ids(&page1), &responses[..2]);
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = t.get(&format!("{path}?limit=2&cursor={cursor}"), Some(&staff)).await;
    assert_eq!(ids(&page2), &responses[2..]);
    assert_eq!(page2.body["next_cursor"], json!(null));
    assert_eq!(page2.body["data"][0]["customer"]["email"], "c2@example.com");
    let one = t.get(&format!("{path}?appointment_id={}", appointments[1]), Some(&staff)).await;
    assert_eq!(ids(&one), &responses[1..2]);

    for (query, field) in [("cursor=nope", "cursor"), ("appointment_id=nope", "appointment_id"), ("limit=0", "limit")] {
        let res = t.get(&format!("{path}?{query}"), Some(&staff)).await;
        assert_eq!((res.status, res.field()), (StatusCode::UNPROCESSABLE_ENTITY, field), "{query}: {}", res.body);
    }
    assert_eq!(t.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
    let unknown = format!("/v1/forms/{}/responses", Uuid::now_v7());
    assert_eq!(t.get(&unknown, Some(&staff)).await.status, StatusCode::NOT_FOUND);
    let b = t.tenant("Other").await;
    let res = csv(&t, &path, &b.owner).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert!(!res.body.to_string().contains("c0@example.com"));

    // An archived form's responses stay listable.
    assert_eq!(t.delete(&format!("/v1/forms/{form}"), Some(&s.tenant.owner)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(ids(&t.get(&path, Some(&staff)).await), responses);
}

#[tokio::test]
async fn the_confirmation_the_staff_view_and_the_manage_link_say_which_forms_are_pending() {
    let t = TestApp::spawn_at(NOW).await;
    let s = salon(&t).await;
    let staff = t.member(&s.tenant, Role::Staff).await;
    let intake =
        form(&t, &s, "Health <questions>", json!([{"id": "allergies", "type": "text", "label": "Allergies?"}])).await;
    let email = format!("f{}@forms.test", &Uuid::new_v4().simple().to_string()[..10]);
    let (appointment, token) = booked(&t, &s, "2026-11-23T09:00:00Z", &email).await;

    t.drain(&notifications::email::OP).await;
    let mail = e2e::emails_to(&email).await;
    assert_eq!(mail.len(), 1);
    let text = e2e::email_text(&mail[0]);
    assert!(text.contains("Before your visit, please fill in:"), "{text}");
    assert!(text.contains("Health <questions>: "), "{text}");
    let link = text.lines().find(|l| l.starts_with("  Health <questions>: ")).unwrap_or_default();
    assert!(link.contains("/manage/") && link.ends_with(&format!("/forms/{intake}")), "{text}");
    assert!(text.contains("Health &lt;questions&gt;"), "the HTML part escapes the name: {text}");

    let staff_view = t.get(&format!("/v1/appointments/{appointment}"), Some(&staff)).await;
    assert_eq!(staff_view.status, StatusCode::OK, "{}", staff_view.body);
    assert_eq!(staff_view.body["forms"][0]["form_id"], intake.as_str());
    assert_eq!(staff_view.body["forms"][0]["pending"], true);
    let customer_view = t.get(&format!("/v1/public/manage/{token}"), None).await;
    assert_eq!(customer_view.body["forms"][0]["fields"][0]["id"], "allergies", "{}", customer_view.body);
    assert!(customer_view.body["forms"][0]["answered_at"].is_null());

    assert_eq!(submit(&t, &token, &intake, json!({"allergies": "none"})).await.status, StatusCode::CREATED);
    let staff_view = t.get(&format!("/v1/appointments/{appointment}"), Some(&staff)).await;
    assert_eq!(staff_view.body["forms"][0]["pending"], false);
    assert_eq!(staff_view.body["forms"][0]["answered_at"], "2026-11-21T08:00:00Z");
    let customer_view = t.get(&format!("/v1/public/manage/{token}"), None).await;
    assert_eq!(customer_view.body["forms"][0]["answered_at"], "2026-11-21T08:00:00Z");
}
