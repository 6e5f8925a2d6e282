//! Search patterns compiled by the browser's own `RegExp`, so that the wasm carries no regex
//! engine. A pattern the browser rejects comes back as its error message for the filter box.

use std::rc::Rc;

use wasm_bindgen::{JsCast, JsValue};

use crate::inspector::row_filter::Matcher;

/// Compiles `pattern` as a case-insensitive JavaScript regular expression.
pub fn compile(pattern: &str) -> Result<Matcher, String> {
    let constructor = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("RegExp"))
        .map_err(|_| "this browser has no RegExp".to_string())?
        .unchecked_into::<js_sys::Function>();
    let args = js_sys::Array::of2(&JsValue::from_str(pattern), &JsValue::from_str("i"));
    // `new RegExp(...)` throws a SyntaxError for a bad pattern; Reflect.construct catches it
    // where `RegExp::new` would abort the whole app.
    match js_sys::Reflect::construct(&constructor, &args) {
        Ok(regexp) => {
            let regexp: js_sys::RegExp = regexp.unchecked_into();
            Ok(Rc::new(move |text: &str| regexp.test(text)))
        }
        Err(error) => Err(error
            .dyn_into::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .unwrap_or_else(|_| "invalid regular expression".to_string())),
    }
}
