//! cert-manager Certificate rules (SPEC section 4).

use crate::report::Report;
use crate::review::Ctx;
use crate::view::Obj;

pub fn review(object: &Obj, _ctx: &Ctx, report: &mut Report) {
    let _ = object.obj("spec", report);
}
