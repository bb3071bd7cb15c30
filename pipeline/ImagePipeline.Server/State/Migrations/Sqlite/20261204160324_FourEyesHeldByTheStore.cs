using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace ImagePipeline.Server.State.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FourEyesHeldByTheStore : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PromotionApproval_PromotionRequestId",
                table: "PromotionApproval");

            migrationBuilder.AddColumn<int>(
                name: "Revision",
                table: "Promotions",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            // A store raced before this index may hold one person's approval twice: only their first counts.
            migrationBuilder.Sql("""DELETE FROM "PromotionApproval" WHERE "Id" NOT IN (SELECT MIN("Id") FROM "PromotionApproval" GROUP BY "PromotionRequestId", "By")""");

            migrationBuilder.CreateIndex(
                name: "IX_PromotionApproval_PromotionRequestId_By",
                table: "PromotionApproval",
                columns: new[] { "PromotionRequestId", "By" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_PromotionApproval_PromotionRequestId_By",
                table: "PromotionApproval");

            migrationBuilder.DropColumn(
                name: "Revision",
                table: "Promotions");

            migrationBuilder.CreateIndex(
                name: "IX_PromotionApproval_PromotionRequestId",
                table: "PromotionApproval",
                column: "PromotionRequestId");
        }
    }
}
